// Tests for the SQLite wrapper: pragmas, binding, column reads, errors and transactions.
#include <solar/core/sqlite.hpp>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace solar::core {
namespace {

class temp_dir {
public:
    temp_dir() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "solar-sqlite-XXXXXX").string();
        path_ = ::mkdtemp(pattern.data());
    }
    ~temp_dir() { std::filesystem::remove_all(path_); }
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

class sqlite_test : public ::testing::Test {
protected:
    temp_dir dir_;
    database db_{dir_.path() / "test.db"};
};

std::string pragma_text(database& db, const char* sql) {
    auto stmt = db.prepare(sql);
    EXPECT_TRUE(stmt.step());
    return stmt.column_text(0);
}

TEST_F(sqlite_test, opens_with_wal_and_foreign_keys) {
    EXPECT_EQ(pragma_text(db_, "PRAGMA journal_mode"), "wal");
    EXPECT_EQ(pragma_text(db_, "PRAGMA foreign_keys"), "1");
    EXPECT_EQ(pragma_text(db_, "PRAGMA synchronous"), "1");  // NORMAL
    EXPECT_EQ(pragma_text(db_, "PRAGMA busy_timeout"), "5000");
}

TEST_F(sqlite_test, binds_and_reads_every_type) {
    db_.exec("CREATE TABLE t (s TEXT, i INTEGER, d REAL, n TEXT, o INTEGER)");
    auto insert = db_.prepare("INSERT INTO t VALUES (?1, ?2, ?3, ?4, ?5)");
    std::string text("h\0llo", 5);  // embedded NUL survives: lengths are explicit
    insert.bind(1, std::string_view(text))
        .bind(2, std::int64_t{1} << 40)
        .bind(3, 2.5)
        .bind(4, nullptr)
        .bind(5, std::optional<std::int64_t>{7});
    EXPECT_FALSE(insert.step());

    auto query = db_.prepare("SELECT s, i, d, n, o FROM t");
    ASSERT_TRUE(query.step());
    EXPECT_EQ(query.column_text(0), text);
    EXPECT_EQ(query.column_int64(1), std::int64_t{1} << 40);
    EXPECT_DOUBLE_EQ(query.column_double(2), 2.5);
    EXPECT_TRUE(query.column_is_null(3));
    EXPECT_EQ(query.column_text(3), "");
    EXPECT_FALSE(query.column_is_null(4));
    EXPECT_EQ(query.column_optional_int64(4), 7);
    EXPECT_EQ(query.column_optional_int64(3), std::nullopt);
    EXPECT_FALSE(query.step());
}

TEST_F(sqlite_test, empty_optional_binds_null) {
    db_.exec("CREATE TABLE t (v INTEGER)");
    auto insert = db_.prepare("INSERT INTO t VALUES (?1)");
    insert.bind(1, std::optional<std::int64_t>{});
    insert.step();
    auto query = db_.prepare("SELECT v IS NULL FROM t");
    ASSERT_TRUE(query.step());
    EXPECT_EQ(query.column_int64(0), 1);
}

TEST_F(sqlite_test, empty_text_is_not_null) {
    db_.exec("CREATE TABLE t (v TEXT NOT NULL)");
    auto insert = db_.prepare("INSERT INTO t VALUES (?1)");
    insert.bind(1, std::string_view{});  // null data() pointer, zero length
    EXPECT_NO_THROW(insert.step());
    auto query = db_.prepare("SELECT v IS NULL, length(v) FROM t");
    ASSERT_TRUE(query.step());
    EXPECT_EQ(query.column_int64(0), 0);
    EXPECT_EQ(query.column_int64(1), 0);
}

TEST_F(sqlite_test, reset_reruns_a_statement_with_new_bindings) {
    db_.exec("CREATE TABLE t (v INTEGER)");
    auto insert = db_.prepare("INSERT INTO t VALUES (?1)");
    for (int i = 1; i <= 3; ++i) {
        insert.reset();
        insert.bind(1, i);
        insert.step();
        EXPECT_EQ(db_.changes(), 1);
        EXPECT_EQ(db_.last_insert_rowid(), i);
    }
    auto sum = db_.prepare("SELECT sum(v) FROM t");
    ASSERT_TRUE(sum.step());
    EXPECT_EQ(sum.column_int64(0), 6);
}

TEST_F(sqlite_test, unique_violation_carries_the_extended_code) {
    db_.exec("CREATE TABLE t (v TEXT UNIQUE)");
    db_.exec("INSERT INTO t VALUES ('a')");
    auto insert = db_.prepare("INSERT INTO t VALUES (?1)");
    insert.bind(1, "a");
    try {
        insert.step();
        FAIL() << "expected a constraint violation";
    } catch (const sqlite_error& e) {
        EXPECT_EQ(e.extended_code(), SQLITE_CONSTRAINT_UNIQUE);
        EXPECT_EQ(e.primary_code(), SQLITE_CONSTRAINT);
        EXPECT_NE(std::string(e.what()).find("UNIQUE"), std::string::npos);
    }
}

TEST_F(sqlite_test, syntax_errors_and_bad_indexes_throw) {
    EXPECT_THROW(db_.prepare("SELEC 1"), sqlite_error);
    EXPECT_THROW(db_.exec("NOT SQL"), sqlite_error);
    auto stmt = db_.prepare("SELECT ?1");
    EXPECT_THROW(stmt.bind(5, 1), sqlite_error);
}

TEST_F(sqlite_test, transaction_rolls_back_unless_committed) {
    db_.exec("CREATE TABLE t (v INTEGER)");
    {
        transaction tx(db_);
        db_.exec("INSERT INTO t VALUES (1)");
    }
    {
        transaction tx(db_);
        db_.exec("INSERT INTO t VALUES (2)");
        tx.commit();
    }
    try {
        transaction tx(db_);
        db_.exec("INSERT INTO t VALUES (3)");
        throw std::runtime_error("boom");
    } catch (const std::runtime_error&) {
    }
    auto query = db_.prepare("SELECT group_concat(v) FROM t");
    ASSERT_TRUE(query.step());
    EXPECT_EQ(query.column_text(0), "2");
}

TEST_F(sqlite_test, user_version_round_trips_and_data_persists) {
    db_.exec("CREATE TABLE t (v TEXT)");
    db_.exec("INSERT INTO t VALUES ('kept')");
    EXPECT_EQ(db_.user_version(), 0);
    db_.set_user_version(3);
    database again(dir_.path() / "test.db");
    EXPECT_EQ(again.user_version(), 3);
    auto query = again.prepare("SELECT v FROM t");
    ASSERT_TRUE(query.step());
    EXPECT_EQ(query.column_text(0), "kept");
}

TEST(sqlite_open, missing_directory_throws) {
    EXPECT_THROW(
        database(std::filesystem::temp_directory_path() / "solar-no-such-dir-x9" / "a.db"),
        sqlite_error
    );
}

TEST_F(sqlite_test, moved_statement_and_database_stay_usable) {
    auto stmt = db_.prepare("SELECT 42");
    auto moved = std::move(stmt);
    ASSERT_TRUE(moved.step());
    EXPECT_EQ(moved.column_int64(0), 42);
    database other = std::move(db_);
    EXPECT_EQ(other.user_version(), 0);
    db_ = std::move(other);
}

}  // namespace
}  // namespace solar::core
