// Short names for Asio/Beast inside the control component.
#pragma once

#include <solar/core/http_types.hpp>

namespace solar::control {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;

}  // namespace solar::control
