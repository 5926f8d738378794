// The host registry: solar-host machines persisted in SQLite.
#pragma once

#include <solar/control/host_request.hpp>
#include <solar/core/sqlite.hpp>

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace solar::control {

struct host_record {
    std::string id;  // random UUIDv4 made at creation
    std::string name;
    std::string url;                        // normalised with base_url::to_string()
    std::string api_key;                    // stored, never serialised to clients
    std::string ca_file;                    // CA bundle for https hosts ("" = system store)
    std::string status = "offline";         // online | offline
    std::optional<std::int64_t> last_seen;  // unix seconds of the last successful poll
    std::string last_error;                 // "" when none
    int instance_count = 0;
    std::int64_t created_at = 0;  // unix seconds
    std::int64_t updated_at = 0;  // unix seconds of the last create/update by a client
};

// Every field but api_key, plus "api_key_set"; timestamps as ISO-8601 UTC text; last_seen,
// last_error and ca_file are null when unset.
nlohmann::json to_public_json(const host_record& host);

// Not thread-safe: all calls must come from one thread at a time (the gateway's DB thread).
// SQLite failures other than a duplicate URL throw core::sqlite_error.
class host_store {
public:
    // Opens or creates the database file (its directory must exist) and migrates the schema,
    // tracked in PRAGMA user_version. Throws core::sqlite_error, or std::runtime_error when
    // the file's schema is newer than this build.
    explicit host_store(const std::filesystem::path& db_file);

    // Registers a host with a new id, status offline. Fails with invalid_url or duplicate_url.
    host_result<host_record> create(const host_create& request, std::int64_t now);
    // All hosts, oldest first (ties in insertion order).
    std::vector<host_record> list() const;
    std::optional<host_record> get(std::string_view id) const;
    // Applies the present fields and sets updated_at. Fails with not_found, invalid_url or
    // duplicate_url; nothing changes on failure.
    host_result<host_record> update(std::string_view id, const host_patch& patch, std::int64_t now);
    // True when the host existed and is gone.
    bool remove(std::string_view id);
    // Stores a poll's outcome: online sets last_seen = now and clears last_error; offline keeps
    // last_seen and stores `error`. An unknown id (removed meanwhile) is ignored.
    void record_refresh(
        std::string_view id,
        bool online,
        std::int64_t now,
        std::string_view error,
        int instance_count
    );
    // The host's last GET /instances answer (the raw body), kept so that after a restart the
    // gateway still knows the aliases of a host that is down. "" when none was stored.
    // An unknown id is ignored / answers "".
    void store_instance_list(std::string_view id, std::string_view body);
    std::string stored_instance_list(std::string_view id) const;

private:
    void migrate();

    mutable core::database db_;  // reads prepare statements too, so const methods need it
};

}  // namespace solar::control
