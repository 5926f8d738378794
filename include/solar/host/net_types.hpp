// Short names for Asio/Beast inside the host component.
#pragma once

#include <solar/core/http_types.hpp>

namespace solar::host {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;

}  // namespace solar::host
