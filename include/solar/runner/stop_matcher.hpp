// Finds OpenAI `stop` strings in generated text that arrives piece by piece: a stop string may
// span any number of tokens, so text that could be the start of one is held back until the
// next piece decides.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace solar::runner {

class stop_matcher {
public:
    // Empty strings are ignored.
    explicit stop_matcher(std::vector<std::string> stops);

    struct result {
        std::string emit;      // text safe to show now (before the stop string when stopped)
        bool stopped = false;  // a stop string was found; it and everything after are dropped
    };

    // Adds `text` to the held text and returns what can be shown. After a stop, returns
    // nothing more.
    result feed(std::string_view text);

    // The held text, for the end of a generation that did not stop on a string.
    std::string flush();

private:
    std::vector<std::string> stops_;
    std::string held_;
    bool stopped_ = false;
};

}  // namespace solar::runner
