// SQLite3 connection, statement and transaction wrappers; every SQLite failure becomes
// sqlite_error.
#include <solar/core/sqlite.hpp>

#include <sqlite3.h>

#include <limits>
#include <utility>

namespace solar::core {

namespace {

[[noreturn]] void throw_from(sqlite3* db, int rc, std::string_view context) {
    int code = db ? sqlite3_extended_errcode(db) : rc;
    // After sqlite3_step the connection's code can lag behind the returned one.
    if ((code & 0xff) != (rc & 0xff)) code = rc;
    std::string what(context);
    what += ": ";
    what += db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    throw sqlite_error(code, what);
}

}  // namespace

sqlite_error::sqlite_error(int extended_code, const std::string& what)
    : std::runtime_error(what), extended_code_(extended_code) {}

// ---- statement ----

statement::statement(statement&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), stmt_(std::exchange(other.stmt_, nullptr)) {}

statement& statement::operator=(statement&& other) noexcept {
    if (this != &other) {
        sqlite3_finalize(stmt_);
        db_ = std::exchange(other.db_, nullptr);
        stmt_ = std::exchange(other.stmt_, nullptr);
    }
    return *this;
}

statement::~statement() { sqlite3_finalize(stmt_); }

void statement::check_bind(int rc, int index) {
    if (rc != SQLITE_OK) throw_from(db_, rc, "cannot bind parameter " + std::to_string(index));
}

statement& statement::bind(int index, std::string_view value) {
    // SQLITE_TRANSIENT: SQLite copies the text, so the view need not outlive the statement.
    // A default-constructed view has a null data(), which SQLite would bind as NULL.
    const char* data = value.data() ? value.data() : "";
    check_bind(
        sqlite3_bind_text64(stmt_, index, data, value.size(), SQLITE_TRANSIENT, SQLITE_UTF8), index
    );
    return *this;
}

statement& statement::bind_int64(int index, std::int64_t value) {
    check_bind(sqlite3_bind_int64(stmt_, index, value), index);
    return *this;
}

statement& statement::bind(int index, double value) {
    check_bind(sqlite3_bind_double(stmt_, index, value), index);
    return *this;
}

statement& statement::bind(int index, std::nullptr_t) {
    check_bind(sqlite3_bind_null(stmt_, index), index);
    return *this;
}

bool statement::step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw_from(db_, rc, "SQL statement failed");
}

void statement::reset() noexcept {
    // The return value repeats the last step's error, which step() already reported.
    sqlite3_reset(stmt_);
}

void statement::clear_bindings() noexcept { sqlite3_clear_bindings(stmt_); }

std::string statement::column_text(int index) const {
    const auto* text = sqlite3_column_text(stmt_, index);
    if (!text) return {};
    // Size after the text call: the conversion to UTF-8 may change it.
    auto size = static_cast<std::size_t>(sqlite3_column_bytes(stmt_, index));
    return std::string(reinterpret_cast<const char*>(text), size);
}

std::int64_t statement::column_int64(int index) const { return sqlite3_column_int64(stmt_, index); }

double statement::column_double(int index) const { return sqlite3_column_double(stmt_, index); }

bool statement::column_is_null(int index) const {
    return sqlite3_column_type(stmt_, index) == SQLITE_NULL;
}

std::optional<std::int64_t> statement::column_optional_int64(int index) const {
    if (column_is_null(index)) return std::nullopt;
    return column_int64(index);
}

// ---- database ----

database::database(const std::filesystem::path& file) {
    sqlite3* db = nullptr;
    int rc =
        sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
    if (rc != SQLITE_OK) {
        // sqlite3_open_v2 may hand back a handle even on failure; it must still be closed.
        std::string what =
            "cannot open " + file.string() + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        int code = db ? sqlite3_extended_errcode(db) : rc;
        sqlite3_close(db);
        throw sqlite_error(code, what);
    }
    db_ = db;
    // Extended codes tell a UNIQUE violation apart from other constraint failures.
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, 5000);
    try {
        exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;");
    } catch (...) {
        sqlite3_close(db_);
        db_ = nullptr;
        throw;
    }
}

database::database(database&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}

database& database::operator=(database&& other) noexcept {
    if (this != &other) {
        sqlite3_close_v2(db_);
        db_ = std::exchange(other.db_, nullptr);
    }
    return *this;
}

database::~database() {
    // close_v2 defers the close until any statement still alive is finalised, instead of
    // failing with SQLITE_BUSY and leaking the connection.
    sqlite3_close_v2(db_);
}

void database::exec(std::string_view sql) {
    std::string text(sql);  // sqlite3_exec wants a NUL-terminated string
    char* message = nullptr;
    int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
    if (rc != SQLITE_OK) {
        std::string what = "SQL failed: ";
        what += message ? message : sqlite3_errstr(rc);
        sqlite3_free(message);
        throw sqlite_error(sqlite3_extended_errcode(db_), what);
    }
}

statement database::prepare(std::string_view sql) {
    if (sql.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
        throw sqlite_error(SQLITE_TOOBIG, "SQL text too long");
    }
    sqlite3_stmt* stmt = nullptr;
    const char* tail = nullptr;
    int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, &tail);
    if (rc != SQLITE_OK) throw_from(db_, rc, "cannot prepare SQL");
    if (!stmt) throw sqlite_error(SQLITE_MISUSE, "cannot prepare SQL: no statement in text");
    return statement(db_, stmt);
}

std::int64_t database::changes() const noexcept { return sqlite3_changes64(db_); }

std::int64_t database::last_insert_rowid() const noexcept { return sqlite3_last_insert_rowid(db_); }

int database::user_version() {
    auto stmt = prepare("PRAGMA user_version");
    stmt.step();
    return static_cast<int>(stmt.column_int64(0));
}

void database::set_user_version(int version) {
    // PRAGMA takes no bound parameters; the value is an int, so formatting it is safe.
    exec("PRAGMA user_version=" + std::to_string(version));
}

// ---- transaction ----

transaction::transaction(database& db) : db_(db) {
    // IMMEDIATE takes the write lock now rather than failing half-way with SQLITE_BUSY.
    db_.exec("BEGIN IMMEDIATE");
}

transaction::~transaction() {
    if (done_) return;
    try {
        db_.exec("ROLLBACK");
    } catch (const sqlite_error&) {
        // SQLite may already have rolled back on its own (e.g. after SQLITE_FULL).
    }
}

void transaction::commit() {
    db_.exec("COMMIT");
    done_ = true;
}

}  // namespace solar::core
