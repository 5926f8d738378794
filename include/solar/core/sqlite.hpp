// A small RAII wrapper over the SQLite3 C API: connection, prepared statements, transactions.
#pragma once

#include <concepts>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace solar::core {

// Any failure reported by SQLite; an infrastructure fault, so it is thrown (STYLE.md §3).
class sqlite_error : public std::runtime_error {
public:
    sqlite_error(int extended_code, const std::string& what);

    // The extended result code, e.g. SQLITE_CONSTRAINT_UNIQUE.
    int extended_code() const noexcept { return extended_code_; }
    // The primary result code (the low byte), e.g. SQLITE_CONSTRAINT.
    int primary_code() const noexcept { return extended_code_ & 0xff; }

private:
    int extended_code_;
};

// One prepared statement. Parameters are bound by 1-based index, columns read by 0-based index
// (SQLite's own conventions). Move-only; finalised on destruction.
class statement {
public:
    statement(statement&& other) noexcept;
    statement& operator=(statement&& other) noexcept;
    statement(const statement&) = delete;
    statement& operator=(const statement&) = delete;
    ~statement();

    // Binds a parameter (1-based); the text is copied. Throws sqlite_error on a bad index.
    statement& bind(int index, std::string_view value);
    statement& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
    // Any integer type binds as a 64-bit integer (a template, so plain int is not ambiguous
    // between int64 and double).
    template <std::integral T>
    statement& bind(int index, T value) {
        return bind_int64(index, static_cast<std::int64_t>(value));
    }
    statement& bind(int index, double value);
    statement& bind(int index, std::nullptr_t);
    // Binds the value, or NULL when empty.
    template <class T>
    statement& bind(int index, const std::optional<T>& value) {
        if (value) return bind(index, *value);
        return bind(index, nullptr);
    }

    // Runs to the next row: true when a row is available, false when the statement is done.
    // Throws sqlite_error carrying the extended code (e.g. a UNIQUE constraint violation).
    bool step();
    // Makes the statement runnable again; bindings are kept.
    void reset() noexcept;
    // Sets every parameter back to NULL.
    void clear_bindings() noexcept;

    // Column readers for the current row (0-based). Text of a NULL column is "".
    std::string column_text(int index) const;
    std::int64_t column_int64(int index) const;
    double column_double(int index) const;
    bool column_is_null(int index) const;
    std::optional<std::int64_t> column_optional_int64(int index) const;

private:
    friend class database;
    statement(sqlite3* db, sqlite3_stmt* stmt) noexcept : db_(db), stmt_(stmt) {}

    statement& bind_int64(int index, std::int64_t value);
    void check_bind(int rc, int index);

    sqlite3* db_ = nullptr;
    sqlite3_stmt* stmt_ = nullptr;
};

// One connection. Not thread-safe: the caller serialises access (the gateway runs all
// database work on one dedicated thread). Move-only; closed on destruction.
class database {
public:
    // Opens or creates the file (its directory must exist) with WAL journaling,
    // synchronous=NORMAL, foreign keys on and a 5 s busy timeout. Throws sqlite_error.
    explicit database(const std::filesystem::path& file);
    database(database&& other) noexcept;
    database& operator=(database&& other) noexcept;
    database(const database&) = delete;
    database& operator=(const database&) = delete;
    ~database();

    // Runs one or more SQL statements that return no needed rows. Throws sqlite_error.
    void exec(std::string_view sql);
    // Compiles exactly one statement. Throws sqlite_error on a syntax error.
    statement prepare(std::string_view sql);

    // Rows changed by the most recent INSERT, UPDATE or DELETE.
    std::int64_t changes() const noexcept;
    std::int64_t last_insert_rowid() const noexcept;
    // The schema version kept in PRAGMA user_version, used for migrations.
    int user_version();
    void set_user_version(int version);

    sqlite3* native_handle() const noexcept { return db_; }

private:
    sqlite3* db_ = nullptr;
};

// BEGIN IMMEDIATE on construction; rolls back on destruction unless commit() was called,
// so an exception between the two leaves the database unchanged.
class transaction {
public:
    explicit transaction(database& db);
    transaction(const transaction&) = delete;
    transaction& operator=(const transaction&) = delete;
    ~transaction();

    // Makes the changes permanent. Throws sqlite_error; the destructor then rolls back.
    void commit();

private:
    database& db_;
    bool done_ = false;
};

}  // namespace solar::core
