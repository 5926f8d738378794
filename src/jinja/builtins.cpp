// Global functions and the attribute methods of strings, arrays and objects.
#include "solar/jinja/builtins.hpp"

#include <ctime>

#include "solar/jinja/error.hpp"
#include "solar/jinja/js_text.hpp"

namespace solar::jinja {
namespace {

std::string ascii_upper(std::string s) {
    // JS toUpperCase is full Unicode; the documented subset maps ASCII only.
    for (char& c : s) c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
    return s;
}
std::string ascii_lower(std::string s) {
    for (char& c : s) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
    return s;
}
bool is_word(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

value method(std::function<value(value_list&)> f) {
    return value::make_function([f = std::move(f
                                 )](value_list& args, const std::shared_ptr<environment>&) {
        return f(args);
    });
}

value affix_test(const std::string& text, bool prefix, value_list& args) {
    const char* name = prefix ? "startswith" : "endswith";
    if (args.empty()) throw value_error(std::string(name) + "() requires at least one argument");
    const auto matches = [&](const std::string& p) {
        if (p.size() > text.size()) return false;
        return prefix ? text.compare(0, p.size(), p) == 0
                      : text.compare(text.size() - p.size(), p.size(), p) == 0;
    };
    if (args[0].is_string()) return value::make_bool(matches(args[0].text));
    if (args[0].is_array()) {
        for (const value& item : *args[0].items) {
            if (!item.is_string())
                throw value_error(std::string(name) + "() tuple elements must be strings");
            if (matches(item.text)) return value::make_bool(true);
        }
        return value::make_bool(false);
    }
    throw value_error(std::string(name) + "() argument must be a string or tuple of strings");
}

value split_method(const std::string& text, value_list& args) {
    const value sep = args.size() > 0 ? args[0] : value::make_null();
    if (!sep.is_string() && !sep.is_none())
        throw value_error("sep argument must be a string or null");
    const value maxsplit_v = args.size() > 1 ? args[1] : value::make_int(-1);
    if (maxsplit_v.kind != value_kind::integer)
        throw value_error("maxsplit argument must be a number");
    const double maxsplit = maxsplit_v.number;
    value_list parts;
    if (sep.is_none()) {
        const std::string_view rest = js_trim_start(text);
        for (std::size_t pos = 0; pos < rest.size();) {
            if (std::size_t n = js_space_at(rest, pos)) {
                pos += n;
                continue;
            }
            if (maxsplit != -1 && static_cast<double>(parts.size()) >= maxsplit) {
                parts.push_back(value::make_string(std::string(rest.substr(pos))));
                break;
            }
            std::size_t end = pos;
            while (end < rest.size() && !js_space_at(rest, end)) ++end;
            parts.push_back(value::make_string(std::string(rest.substr(pos, end - pos))));
            pos = end;
        }
        return value::make_array(std::move(parts));
    }
    if (sep.text.empty()) throw value_error("empty separator");
    std::vector<std::string> pieces;
    for (std::size_t pos = 0;;) {
        const std::size_t found = text.find(sep.text, pos);
        if (found == std::string::npos) {
            pieces.push_back(text.substr(pos));
            break;
        }
        pieces.push_back(text.substr(pos, found - pos));
        pos = found + sep.text.size();
    }
    if (maxsplit != -1 && static_cast<double>(pieces.size()) > maxsplit) {
        const auto keep = static_cast<std::size_t>(maxsplit);
        std::string tail;
        for (std::size_t i = keep; i < pieces.size(); ++i)
            tail += (i > keep ? sep.text : "") + pieces[i];
        pieces.resize(keep);
        pieces.push_back(tail);
    }
    for (auto& piece : pieces) parts.push_back(value::make_string(std::move(piece)));
    return value::make_array(std::move(parts));
}

value replace_method(const std::string& text, value_list& args) {
    if (args.size() < 2) throw value_error("replace() requires at least two arguments");
    if (!args[0].is_string() || !args[1].is_string())
        throw value_error("replace() arguments must be strings");
    value count = value::make_null();
    if (args.size() > 2) {
        if (args[2].kind == value_kind::kwargs) {
            const value* c = args[2].find("count");
            count = c ? *c : value::make_null();
        } else {
            count = args[2];
        }
    }
    if (count.kind != value_kind::integer && !count.is_none())
        throw value_error("replace() count argument must be a number or null");
    double remaining = count.is_none() || count.number < 0 ? -1 : count.number;
    if (remaining == 0) return value::make_string(text);
    const std::string& from = args[0].text;
    const std::string& to = args[1].text;
    std::string out;
    if (from.empty()) {
        // /(?=)/gu matches at every code point boundary, both ends included.
        for (std::size_t pos = 0;;) {
            if (remaining != 0) {
                out += to;
                if (remaining > 0) --remaining;
            }
            if (pos >= text.size()) break;
            const std::size_t start = pos;
            next_code_point(text, pos);
            out.append(text, start, pos - start);
        }
        return value::make_string(std::move(out));
    }
    std::size_t pos = 0;
    while (remaining != 0) {
        const std::size_t found = text.find(from, pos);
        if (found == std::string::npos) break;
        out.append(text, pos, found - pos);
        out += to;
        pos = found + from.size();
        if (remaining > 0) --remaining;
    }
    out.append(text, pos);
    return value::make_string(std::move(out));
}

value string_member(const std::string& text, const std::string& name) {
    const auto simple = [&](std::function<std::string()> f) {
        return method([f](value_list&) { return value::make_string(f()); });
    };
    if (name == "upper") return simple([text] { return ascii_upper(text); });
    if (name == "lower") return simple([text] { return ascii_lower(text); });
    // The reference ignores strip's argument: strip('\n') trims all whitespace, like strip().
    if (name == "strip") return simple([text] { return std::string(js_trim(text)); });
    if (name == "rstrip") return simple([text] { return std::string(js_trim_end(text)); });
    if (name == "lstrip") return simple([text] { return std::string(js_trim_start(text)); });
    if (name == "title") {
        return simple([text] {
            std::string out = text;
            for (std::size_t i = 0; i < out.size(); ++i) {
                if (is_word(out[i]) && (i == 0 || !is_word(out[i - 1])) && out[i] >= 'a' &&
                    out[i] <= 'z')
                    out[i] = static_cast<char>(out[i] - 32);
            }
            return out;
        });
    }
    if (name == "capitalize") {
        return simple([text] {
            return text.empty() ? text : ascii_upper(text.substr(0, 1)) + text.substr(1);
        });
    }
    if (name == "length") return value::make_int(static_cast<double>(js_length(text)));
    if (name == "startswith" || name == "endswith") {
        const bool prefix = name == "startswith";
        return method([text, prefix](value_list& args) { return affix_test(text, prefix, args); });
    }
    if (name == "split")
        return method([text](value_list& args) { return split_method(text, args); });
    if (name == "replace")
        return method([text](value_list& args) { return replace_method(text, args); });
    return value{};
}

}  // namespace

value builtin_member(const value& object, const std::string& name) {
    if (object.is_string()) return string_member(object.text, name);
    if (object.is_array())
        return name == "length" ? value::make_int(static_cast<double>(object.items->size()))
                                : value{};
    if (!object.is_object()) return value{};
    const auto entries = object.entries;
    if (name == "get") {
        return method([entries](value_list& args) {
            if (args.empty() || !args[0].is_string())
                throw value_error("Object key must be a string");
            for (const auto& [k, v] : *entries) {
                if (k == args[0].text) return v;
            }
            return args.size() > 1 ? args[1] : value::make_null();
        });
    }
    if (name == "dictsort") {
        return method([object](value_list& args) { return dictsort_entries(object, args); });
    }
    if (name == "items" || name == "keys" || name == "values") {
        return method([entries, name](value_list&) {
            value_list out;
            for (const auto& [k, v] : *entries) {
                if (name == "items") out.push_back(value::make_array({value::make_string(k), v}));
                if (name == "keys") out.push_back(value::make_string(k));
                if (name == "values") out.push_back(v);
            }
            return value::make_array(std::move(out));
        });
    }
    return value{};
}

namespace {

std::string strftime_js(std::chrono::system_clock::time_point now, const std::string& format) {
    static const char* const months_long[] = {
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December"};
    const std::time_t t = std::chrono::system_clock::to_time_t(now);
    std::tm tm{};
    gmtime_r(&t, &tm);
    const auto pad2 = [](int n) {
        std::string digits = std::to_string(n);
        if (n < 10) digits.insert(digits.begin(), '0');
        return digits;
    };
    std::string out;
    for (std::size_t i = 0; i < format.size(); ++i) {
        if (format[i] != '%' || i + 1 >= format.size()) {
            out += format[i];
            continue;
        }
        // The reference implements only %Y %m %d %b %B %H %M %%; others stay as written.
        switch (format[i + 1]) {
            case 'Y':
                out += std::to_string(tm.tm_year + 1900);
                break;
            case 'm':
                out += pad2(tm.tm_mon + 1);
                break;
            case 'd':
                out += pad2(tm.tm_mday);
                break;
            case 'b':
                out += std::string(months_long[tm.tm_mon]).substr(0, 3);
                break;
            case 'B':
                out += months_long[tm.tm_mon];
                break;
            case 'H':
                out += pad2(tm.tm_hour);
                break;
            case 'M':
                out += pad2(tm.tm_min);
                break;
            case '%':
                out += '%';
                break;
            default:
                out += format.substr(i, 2);
                break;
        }
        ++i;
    }
    return out;
}

value make_namespace(value_list& args) {
    value_list positional = args;
    value result = value::make_object({}, value_kind::name_space);
    object_entries keywords;
    if (!positional.empty() && positional.back().kind == value_kind::kwargs) {
        keywords = *positional.back().entries;
        positional.pop_back();
    }
    if (positional.size() > 1)
        throw value_error(
            "namespace expected at most 1 argument, got " + std::to_string(positional.size())
        );
    if (positional.size() == 1) {
        const value& source = positional[0];
        if (source.is_object()) {
            for (const auto& [k, v] : *source.entries) result.set(k, v);
        } else if (source.is_array()) {
            for (const value& pair : *source.items) {
                if (!pair.is_array() || pair.items->size() != 2)
                    throw value_error(
                        "namespace expected an object or an iterable of [key, value] pairs"
                    );
                if (!(*pair.items)[0].is_string())
                    throw value_error("namespace keys must be strings");
                result.set((*pair.items)[0].text, (*pair.items)[1]);
            }
        } else {
            throw value_error(
                "'" + std::string(type_name(source.kind)) + "' object is not iterable"
            );
        }
    }
    for (const auto& [k, v] : keywords) result.set(k, v);
    return result;
}

value make_range(value_list& args) {
    // JS numbers in, integers out; a bound keeps a hostile range from exhausting memory.
    std::vector<double> n;
    for (const value& a : args) {
        if (!a.is_number()) throw value_error("range() arguments must be numbers");
        n.push_back(a.number);
    }
    if (n.empty() || n.size() > 3) throw value_error("range() expects 1 to 3 arguments");
    const double start = n.size() == 1 ? 0 : n[0];
    const double stop = n.size() == 1 ? n[0] : n[1];
    const double step = n.size() == 3 ? n[2] : 1;
    if (step == 0) throw value_error("range() step must not be zero");
    value_list out;
    for (double i = start; step > 0 ? i < stop : i > stop; i += step) {
        if (out.size() >= 1'000'000) throw value_error("range() is too long", error_kind::limit);
        out.push_back(value::make_int(i));
    }
    return value::make_array(std::move(out));
}

}  // namespace

void install_globals(environment& scope, clock_function clock) {
    const auto fn = [](value (*f)(value_list&)) {
        return value::make_function([f](value_list& args, const std::shared_ptr<environment>&) {
            return f(args);
        });
    };
    scope.set("false", value::make_bool(false));
    scope.set("true", value::make_bool(true));
    scope.set("none", value::make_null());
    scope.set("False", value::make_bool(false));
    scope.set("True", value::make_bool(true));
    scope.set("None", value::make_null());
    scope.set("namespace", fn(make_namespace));
    scope.set("range", fn(make_range));
    scope.set("raise_exception", fn([](value_list& args) -> value {
                  // `throw new Error(args)`: the message is the arguments joined by commas.
                  std::string message;
                  for (std::size_t i = 0; i < args.size(); ++i) {
                      if (i > 0) message += ',';
                      message += to_display(args[i]);
                  }
                  throw value_error(message, error_kind::raised);
              }));
    scope.set(
        "strftime_now",
        value::make_function([clock](value_list& args, const std::shared_ptr<environment>&) {
            if (args.empty() || !args[0].is_string())
                throw value_error("strftime_now() expects a format string");
            return value::make_string(
                strftime_js(clock ? clock() : std::chrono::system_clock::now(), args[0].text)
            );
        })
    );
}

}  // namespace solar::jinja
