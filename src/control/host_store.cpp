// Host registry persistence in SQLite: schema migrations, CRUD and poll bookkeeping.
#include <solar/control/host_store.hpp>
#include <solar/core/random.hpp>

#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include <array>
#include <ctime>
#include <stdexcept>

namespace solar::control {

namespace {

// Version n of the schema is the result of migrations[0..n-1]; append, never edit.
constexpr std::array<std::string_view, 2> migrations = {
    R"sql(
CREATE TABLE hosts (
    id             TEXT    NOT NULL PRIMARY KEY,
    name           TEXT    NOT NULL,
    url            TEXT    NOT NULL UNIQUE,
    api_key        TEXT    NOT NULL,
    ca_file        TEXT    NOT NULL DEFAULT '',
    status         TEXT    NOT NULL DEFAULT 'offline' CHECK (status IN ('online', 'offline')),
    last_seen      INTEGER,
    last_error     TEXT    NOT NULL DEFAULT '',
    instance_count INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
) STRICT;
)sql",
    // 2: the last instance list of each host, for routing answers while it is offline.
    R"sql(
ALTER TABLE hosts ADD COLUMN last_instances TEXT NOT NULL DEFAULT '';
)sql",
};

constexpr std::string_view select_columns =
    "SELECT id, name, url, api_key, ca_file, status, last_seen, last_error, instance_count, "
    "created_at, updated_at FROM hosts";

host_record read_row(const core::statement& row) {
    host_record host;
    host.id = row.column_text(0);
    host.name = row.column_text(1);
    host.url = row.column_text(2);
    host.api_key = row.column_text(3);
    host.ca_file = row.column_text(4);
    host.status = row.column_text(5);
    host.last_seen = row.column_optional_int64(6);
    host.last_error = row.column_text(7);
    host.instance_count = static_cast<int>(row.column_int64(8));
    host.created_at = row.column_int64(9);
    host.updated_at = row.column_int64(10);
    return host;
}

host_error duplicate_url_error(std::string_view url) {
    return {
        host_errc::duplicate_url,
        "url",
        "url: a host with URL " + std::string(url) + " already exists"};
}

bool is_unique_violation(const core::sqlite_error& e) {
    return e.extended_code() == SQLITE_CONSTRAINT_UNIQUE;
}

std::string iso8601_utc(std::int64_t unix_seconds) {
    std::time_t t = static_cast<std::time_t>(unix_seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::array<char, 32> text{};
    auto n = std::strftime(text.data(), text.size(), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return std::string(text.data(), n);
}

}  // namespace

nlohmann::json to_public_json(const host_record& host) {
    auto null_if_empty = [](const std::string& text) {
        return text.empty() ? nlohmann::json(nullptr) : nlohmann::json(text);
    };
    return {
        {"id", host.id},
        {"name", host.name},
        {"url", host.url},
        {"api_key_set", !host.api_key.empty()},
        {"ca_file", null_if_empty(host.ca_file)},
        {"status", host.status},
        {"last_seen", host.last_seen ? nlohmann::json(iso8601_utc(*host.last_seen)) : nullptr},
        {"last_error", null_if_empty(host.last_error)},
        {"instance_count", host.instance_count},
        {"created_at", iso8601_utc(host.created_at)},
        {"updated_at", iso8601_utc(host.updated_at)},
    };
}

// ---- store ----

host_store::host_store(const std::filesystem::path& db_file) : db_(db_file) { migrate(); }

void host_store::migrate() {
    core::transaction tx(db_);
    int version = db_.user_version();
    if (version > static_cast<int>(migrations.size())) {
        throw std::runtime_error(
            "database schema version " + std::to_string(version) +
            " is newer than this solar-control supports (" + std::to_string(migrations.size()) +
            "); upgrade solar-control"
        );
    }
    for (auto i = static_cast<std::size_t>(version); i < migrations.size(); ++i) {
        db_.exec(migrations[i]);
    }
    db_.set_user_version(static_cast<int>(migrations.size()));
    tx.commit();
}

host_result<host_record> host_store::create(const host_create& request, std::int64_t now) {
    // Callers normally pass parse_host_create's output; normalising again keeps the UNIQUE
    // constraint meaningful for any other caller.
    auto url = normalise_host_url(request.url);
    if (!url) return url.error();

    host_record host;
    host.id = core::random_uuid_v4();
    host.name = request.name;
    host.url = std::move(*url);
    host.api_key = request.api_key;
    host.ca_file = request.ca_file;
    host.created_at = now;
    host.updated_at = now;

    auto insert = db_.prepare(
        "INSERT INTO hosts (id, name, url, api_key, ca_file, status, created_at, updated_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
    );
    insert.bind(1, host.id)
        .bind(2, host.name)
        .bind(3, host.url)
        .bind(4, host.api_key)
        .bind(5, host.ca_file)
        .bind(6, host.status)
        .bind(7, host.created_at)
        .bind(8, host.updated_at);
    try {
        insert.step();
    } catch (const core::sqlite_error& e) {
        if (is_unique_violation(e)) return duplicate_url_error(host.url);
        throw;
    }
    return host;
}

std::vector<host_record> host_store::list() const {
    // rowid breaks ties within one second in insertion order.
    auto query = db_.prepare(std::string(select_columns) + " ORDER BY created_at, rowid");
    std::vector<host_record> out;
    while (query.step()) out.push_back(read_row(query));
    return out;
}

std::optional<host_record> host_store::get(std::string_view id) const {
    auto query = db_.prepare(std::string(select_columns) + " WHERE id = ?1");
    query.bind(1, id);
    if (!query.step()) return std::nullopt;
    return read_row(query);
}

host_result<host_record> host_store::update(
    std::string_view id, const host_patch& patch, std::int64_t now
) {
    core::transaction tx(db_);
    auto current = get(id);
    if (!current) {
        return host_error{host_errc::not_found, "", "Host '" + std::string(id) + "' not found"};
    }
    host_record host = std::move(*current);
    if (patch.name) host.name = *patch.name;
    if (patch.url) {
        auto url = normalise_host_url(*patch.url);
        if (!url) return url.error();
        host.url = std::move(*url);
    }
    if (patch.api_key) host.api_key = *patch.api_key;
    if (patch.ca_file) host.ca_file = *patch.ca_file;
    host.updated_at = now;

    auto query = db_.prepare(
        "UPDATE hosts SET name = ?2, url = ?3, api_key = ?4, ca_file = ?5, updated_at = ?6 "
        "WHERE id = ?1"
    );
    query.bind(1, id)
        .bind(2, host.name)
        .bind(3, host.url)
        .bind(4, host.api_key)
        .bind(5, host.ca_file)
        .bind(6, host.updated_at);
    try {
        query.step();
    } catch (const core::sqlite_error& e) {
        if (is_unique_violation(e)) return duplicate_url_error(host.url);
        throw;
    }
    tx.commit();
    return host;
}

bool host_store::remove(std::string_view id) {
    auto query = db_.prepare("DELETE FROM hosts WHERE id = ?1");
    query.bind(1, id);
    query.step();
    return db_.changes() > 0;
}

void host_store::record_refresh(
    std::string_view id, bool online, std::int64_t now, std::string_view error, int instance_count
) {
    auto query = db_.prepare(
        "UPDATE hosts SET status = ?2, last_seen = CASE WHEN ?3 THEN ?4 ELSE last_seen END, "
        "last_error = ?5, instance_count = ?6 WHERE id = ?1"
    );
    query.bind(1, id)
        .bind(2, online ? "online" : "offline")
        .bind(3, online)
        .bind(4, now)
        .bind(5, online ? std::string_view{} : error)
        .bind(6, instance_count);
    query.step();
}

void host_store::store_instance_list(std::string_view id, std::string_view body) {
    auto query = db_.prepare("UPDATE hosts SET last_instances = ?2 WHERE id = ?1");
    query.bind(1, id).bind(2, body);
    query.step();
}

std::string host_store::stored_instance_list(std::string_view id) const {
    auto query = db_.prepare("SELECT last_instances FROM hosts WHERE id = ?1");
    query.bind(1, id);
    return query.step() ? query.column_text(0) : std::string{};
}

}  // namespace solar::control
