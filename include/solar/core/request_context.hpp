// Everything a handler gets for one request: the request, its stream, parameters, log notes.
#pragma once

#include <solar/core/http_types.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace solar::core {

using route_params = std::vector<std::pair<std::string, std::string>>;

class connection_slot;

// Facts a handler adds for the access log line.
struct access_note {
    std::string model;
    std::string upstream;  // "host/instance" chosen by the balancer
};

struct request_context {
    request& req;
    beast::tcp_stream& stream;
    beast::flat_buffer& buffer;  // bytes read past this request (pipelining) live here
    connection_slot& connection;
    route_params params;
    std::string request_id;
    std::string path;
    std::string query;
    std::chrono::steady_clock::time_point started;
    access_note note;
    // Set by handlers that write the response themselves (nullopt handler result).
    std::optional<unsigned> written_status;
    bool close_connection = false;
    // Set when the handler moved the stream away (WebSocket upgrade): the session must not touch
    // it.
    bool stream_released = false;
    // The server's shutdown flag: a handler writing its own answer offers keep-alive only while
    // this is false, as the server does for the answers it writes.
    const std::atomic<bool>* server_stopping = nullptr;

    // Whether the answer may keep the connection open: the client asked for it and the server
    // is not shutting down.
    bool keep_alive_allowed() const;

    // Value of a path parameter; empty if absent.
    std::string_view param(std::string_view name) const;
    // Percent-decoded value of a query parameter, if present.
    std::optional<std::string> query_param(std::string_view name) const;
};

// Percent-decodes a query component ('+' becomes a space).
std::string url_decode(std::string_view text);

}  // namespace solar::core
