// Stop strings found across piece boundaries, with only possible stop prefixes held back.
#include <solar/runner/stop_matcher.hpp>

#include <gtest/gtest.h>

namespace solar::runner {
namespace {

TEST(stop_matcher, stop_split_over_pieces_is_cut_and_never_shown) {
    stop_matcher m({"END"});
    std::string shown;
    for (auto piece : {"ab", "cE", "N", "Dxyz"}) {
        auto r = m.feed(piece);
        shown += r.emit;
        EXPECT_EQ(shown.find('E'), std::string::npos);
        if (r.stopped) break;
    }
    EXPECT_EQ(shown, "abc");
    EXPECT_TRUE(m.feed("more").emit.empty());
    EXPECT_EQ(m.flush(), "");
}

TEST(stop_matcher, a_false_start_is_released) {
    stop_matcher m({"END"});
    EXPECT_EQ(m.feed("aE").emit, "a");
    EXPECT_EQ(m.feed("Nx").emit, "ENx");
    EXPECT_EQ(m.feed("E").emit, "");
    EXPECT_EQ(m.flush(), "E");
}

TEST(stop_matcher, earliest_of_several_wins_and_empty_is_ignored) {
    stop_matcher m({"", "zz", "b"});
    auto r = m.feed("azzb");
    EXPECT_TRUE(r.stopped);
    EXPECT_EQ(r.emit, "a");
    stop_matcher none({});
    EXPECT_EQ(none.feed("text").emit, "text");
}

}  // namespace
}  // namespace solar::runner
