// The tokenizer error category and the exception result<T, tokenizer_error>::value() throws.
#include <solar/runner/tokenizer/error.hpp>

#include <boost/system/system_error.hpp>

namespace solar::runner {

namespace {

class tokenizer_category_impl : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "solar.tokenizer"; }
    std::string message(int value) const override {
        switch (static_cast<tokenizer_errc>(value)) {
            case tokenizer_errc::unreadable_file:
                return "tokenizer file cannot be read";
            case tokenizer_errc::malformed_json:
                return "tokenizer file is not valid JSON";
            case tokenizer_errc::unsupported_component:
                return "tokenizer uses an unsupported component";
            case tokenizer_errc::invalid_component:
                return "tokenizer component is invalid";
            case tokenizer_errc::invalid_regex:
                return "tokenizer regex does not compile";
        }
        return "unknown tokenizer error";
    }
};

}  // namespace

const boost::system::error_category& tokenizer_category() {
    static const tokenizer_category_impl category;
    return category;
}

boost::system::error_code make_error_code(tokenizer_errc e) {
    return {static_cast<int>(e), tokenizer_category()};
}

tokenizer_error make_tokenizer_error(tokenizer_errc code, std::string message) {
    return {make_error_code(code), std::move(message)};
}

void throw_exception_from_error(const tokenizer_error& e, const boost::source_location& location) {
    boost::throw_exception(boost::system::system_error(e.code, e.message), location);
}

}  // namespace solar::runner
