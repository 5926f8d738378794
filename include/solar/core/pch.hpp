// Precompiled header: the heavy third-party headers every component includes.
#pragma once

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/system/result.hpp>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
