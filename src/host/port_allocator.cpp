// Port choice for instances: a pure function over the held ports and an injected probe.
#include <solar/host/port_allocator.hpp>

#include <algorithm>
#include <string>
#include <vector>

namespace solar::host {

namespace {

class port_category_impl : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "solar.host.port"; }
    std::string message(int value) const override {
        switch (static_cast<port_errc>(value)) {
            case port_errc::port_held:
                return "the requested port is already assigned to another instance";
            case port_errc::port_in_use:
                return "the requested port is in use by another program on this machine";
            case port_errc::no_free_port:
                return "no free port from " + std::to_string(first_auto_port) + " to 65535";
            case port_errc::invalid_port:
                return "port 0 cannot be requested";
        }
        return "unknown port error";
    }
};

}  // namespace

const boost::system::error_category& port_category() {
    static const port_category_impl category;
    return category;
}

boost::system::error_code make_error_code(port_errc e) {
    return {static_cast<int>(e), port_category()};
}

boost::system::result<std::uint16_t> allocate_port(
    std::span<const std::uint16_t> held,
    const port_free_check& is_free,
    std::optional<std::uint16_t> requested
) {
    std::vector<std::uint16_t> taken(held.begin(), held.end());
    std::sort(taken.begin(), taken.end());
    auto is_held = [&](std::uint16_t port) {
        return std::binary_search(taken.begin(), taken.end(), port);
    };
    auto probe = [&](std::uint16_t port) { return !is_free || is_free(port); };

    if (requested) {
        if (*requested == 0) return make_error_code(port_errc::invalid_port);
        if (is_held(*requested)) return make_error_code(port_errc::port_held);
        if (!probe(*requested)) return make_error_code(port_errc::port_in_use);
        return *requested;
    }
    for (std::uint32_t port = first_auto_port; port <= 65535; ++port) {
        auto candidate = static_cast<std::uint16_t>(port);
        if (!is_held(candidate) && probe(candidate)) return candidate;
    }
    return make_error_code(port_errc::no_free_port);
}

}  // namespace solar::host
