// Tests for the SQLite host registry: CRUD, uniqueness, persistence and poll bookkeeping.
#include <solar/control/host_store.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>

namespace solar::control {
namespace {

constexpr std::int64_t t0 = 1'700'000'000;  // 2023-11-14T22:13:20Z

class host_store_test : public ::testing::Test {
protected:
    host_store_test() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "solar-hosts-XXXXXX").string();
        dir_ = ::mkdtemp(pattern.data());
    }
    ~host_store_test() override { std::filesystem::remove_all(dir_); }

    std::filesystem::path db_file() const { return dir_ / "solar-control.db"; }

    static host_create request(std::string name, std::string url) {
        return {std::move(name), std::move(url), "secret-" + std::to_string(counter_++), ""};
    }

    inline static int counter_ = 0;
    std::filesystem::path dir_;
};

TEST_F(host_store_test, create_then_get_and_list) {
    host_store store(db_file());
    auto created = store.create(request("box", "http://10.0.0.1:8001/"), t0);
    ASSERT_TRUE(created) << created.error().message;
    EXPECT_EQ(created->id.size(), 36u);
    EXPECT_EQ(created->name, "box");
    EXPECT_EQ(created->url, "http://10.0.0.1:8001");
    EXPECT_EQ(created->status, "offline");
    EXPECT_EQ(created->last_seen, std::nullopt);
    EXPECT_EQ(created->instance_count, 0);
    EXPECT_EQ(created->created_at, t0);
    EXPECT_EQ(created->updated_at, t0);

    auto fetched = store.get(created->id);
    ASSERT_TRUE(fetched);
    EXPECT_EQ(fetched->api_key, created->api_key);
    EXPECT_EQ(fetched->url, created->url);
    EXPECT_EQ(store.get("no-such-id"), std::nullopt);
    ASSERT_EQ(store.list().size(), 1u);
}

TEST_F(host_store_test, list_is_ordered_by_creation_then_insertion) {
    host_store store(db_file());
    auto late = store.create(request("late", "http://h:3"), t0 + 10);
    auto first = store.create(request("first", "http://h:1"), t0);
    auto second = store.create(request("second", "http://h:2"), t0);
    ASSERT_TRUE(late && first && second);
    auto hosts = store.list();
    ASSERT_EQ(hosts.size(), 3u);
    EXPECT_EQ(hosts[0].name, "first");
    EXPECT_EQ(hosts[1].name, "second");
    EXPECT_EQ(hosts[2].name, "late");
}

TEST_F(host_store_test, duplicate_url_after_normalisation_is_refused) {
    host_store store(db_file());
    ASSERT_TRUE(store.create(request("a", "http://box:80"), t0));
    auto again = store.create(request("b", "HTTP://Box/"), t0);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, host_errc::duplicate_url);
    EXPECT_EQ(again.error().field, "url");
    EXPECT_EQ(store.list().size(), 1u);
}

TEST_F(host_store_test, invalid_url_is_refused_even_without_parse_host_create) {
    host_store store(db_file());
    auto bad = store.create(request("a", "ftp://box"), t0);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, host_errc::invalid_url);
    EXPECT_TRUE(store.list().empty());
}

TEST_F(host_store_test, update_changes_present_fields_only) {
    host_store store(db_file());
    auto host = store.create({"box", "http://box:1", "old-key", ""}, t0).value();
    host_patch patch;
    patch.name = "renamed";
    patch.ca_file = "/ca.pem";
    auto updated = store.update(host.id, patch, t0 + 5);
    ASSERT_TRUE(updated) << updated.error().message;
    EXPECT_EQ(updated->name, "renamed");
    EXPECT_EQ(updated->url, "http://box:1");
    EXPECT_EQ(updated->api_key, "old-key");
    EXPECT_EQ(updated->ca_file, "/ca.pem");
    EXPECT_EQ(updated->created_at, t0);
    EXPECT_EQ(updated->updated_at, t0 + 5);

    host_patch rekey;
    rekey.api_key = "new-key";
    rekey.url = "https://box:2/";
    rekey.ca_file = "";
    store.update(host.id, rekey, t0 + 6).value();
    auto stored = store.get(host.id).value();
    EXPECT_EQ(stored.api_key, "new-key");
    EXPECT_EQ(stored.url, "https://box:2");
    EXPECT_EQ(stored.ca_file, "");
    EXPECT_EQ(stored.name, "renamed");
}

TEST_F(host_store_test, update_to_another_hosts_url_is_a_duplicate_and_changes_nothing) {
    host_store store(db_file());
    auto a = store.create(request("a", "http://a:1"), t0).value();
    auto b = store.create(request("b", "http://b:1"), t0).value();
    host_patch patch;
    patch.url = "http://A:1/";
    patch.name = "would-be";
    auto result = store.update(b.id, patch, t0 + 1);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, host_errc::duplicate_url);
    auto unchanged = store.get(b.id).value();
    EXPECT_EQ(unchanged.name, "b");
    EXPECT_EQ(unchanged.url, "http://b:1");
    EXPECT_EQ(unchanged.updated_at, t0);

    // Keeping one's own URL is not a duplicate.
    host_patch same;
    same.url = "http://a:1";
    EXPECT_TRUE(store.update(a.id, same, t0 + 2));
}

TEST_F(host_store_test, update_unknown_id_is_not_found) {
    host_store store(db_file());
    auto result = store.update("missing", host_patch{}, t0);
    ASSERT_FALSE(result);
    EXPECT_TRUE(is_not_found(result.error()));
}

TEST_F(host_store_test, remove_reports_whether_it_existed) {
    host_store store(db_file());
    auto host = store.create(request("a", "http://a:1"), t0).value();
    EXPECT_TRUE(store.remove(host.id));
    EXPECT_FALSE(store.remove(host.id));
    EXPECT_EQ(store.get(host.id), std::nullopt);
    // The URL is free again.
    EXPECT_TRUE(store.create(request("a2", "http://a:1"), t0));
}

TEST_F(host_store_test, record_refresh_bookkeeping) {
    host_store store(db_file());
    auto host = store.create(request("a", "http://a:1"), t0).value();

    store.record_refresh(host.id, false, t0 + 1, "connection refused", 0);
    auto offline = store.get(host.id).value();
    EXPECT_EQ(offline.status, "offline");
    EXPECT_EQ(offline.last_seen, std::nullopt);
    EXPECT_EQ(offline.last_error, "connection refused");

    store.record_refresh(host.id, true, t0 + 2, "ignored when online", 3);
    auto online = store.get(host.id).value();
    EXPECT_EQ(online.status, "online");
    EXPECT_EQ(online.last_seen, t0 + 2);
    EXPECT_EQ(online.last_error, "");
    EXPECT_EQ(online.instance_count, 3);
    EXPECT_EQ(online.updated_at, t0);  // polling is not a client edit

    store.record_refresh(host.id, false, t0 + 3, "timed out", 0);
    auto lost = store.get(host.id).value();
    EXPECT_EQ(lost.status, "offline");
    EXPECT_EQ(lost.last_seen, t0 + 2);  // the last time it answered
    EXPECT_EQ(lost.last_error, "timed out");
    EXPECT_EQ(lost.instance_count, 0);

    EXPECT_NO_THROW(store.record_refresh("removed-meanwhile", true, t0, "", 1));
}

TEST_F(host_store_test, everything_persists_across_reopen) {
    std::string id;
    {
        host_store store(db_file());
        auto host = store.create({"box", "https://box:8443/p", "k", "/ca.pem"}, t0).value();
        id = host.id;
        store.record_refresh(id, true, t0 + 9, "", 2);
    }
    host_store reopened(db_file());
    auto host = reopened.get(id);
    ASSERT_TRUE(host);
    EXPECT_EQ(host->name, "box");
    EXPECT_EQ(host->url, "https://box:8443/p");
    EXPECT_EQ(host->api_key, "k");
    EXPECT_EQ(host->ca_file, "/ca.pem");
    EXPECT_EQ(host->status, "online");
    EXPECT_EQ(host->last_seen, t0 + 9);
    EXPECT_EQ(host->instance_count, 2);
    // The unique constraint survives the reopen too.
    EXPECT_EQ(
        reopened.create(request("dup", "https://box:8443/p/"), t0).error().code,
        host_errc::duplicate_url
    );
}

TEST_F(host_store_test, the_last_instance_list_is_stored_per_host_and_survives_reopen) {
    std::string a, b;
    {
        host_store store(db_file());
        a = store.create(request("a", "http://a:8001"), t0).value().id;
        b = store.create(request("b", "http://b:8001"), t0).value().id;
        EXPECT_EQ(store.stored_instance_list(a), "") << "nothing stored yet";
        store.store_instance_list(a, R"([{"id":"i1"}])");
        store.store_instance_list(a, R"([{"id":"i2"}])");  // replaces
        store.store_instance_list("no-such-host", "[]");   // ignored
    }
    host_store reopened(db_file());
    EXPECT_EQ(reopened.stored_instance_list(a), R"([{"id":"i2"}])");
    EXPECT_EQ(reopened.stored_instance_list(b), "");
    EXPECT_EQ(reopened.stored_instance_list("no-such-host"), "");
    EXPECT_TRUE(reopened.remove(a));
    EXPECT_EQ(reopened.stored_instance_list(a), "");
}

TEST_F(host_store_test, a_version_1_database_is_migrated_keeping_its_hosts) {
    {
        core::database db(db_file());
        db.exec(R"sql(
CREATE TABLE hosts (
    id TEXT NOT NULL PRIMARY KEY, name TEXT NOT NULL, url TEXT NOT NULL UNIQUE,
    api_key TEXT NOT NULL, ca_file TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'offline' CHECK (status IN ('online', 'offline')),
    last_seen INTEGER, last_error TEXT NOT NULL DEFAULT '',
    instance_count INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;
INSERT INTO hosts (id, name, url, api_key, created_at, updated_at)
    VALUES ('h1', 'old', 'http://old:8001', 'k', 1, 1);
)sql");
        db.set_user_version(1);
    }
    host_store store(db_file());
    auto host = store.get("h1");
    ASSERT_TRUE(host);
    EXPECT_EQ(host->name, "old");
    EXPECT_EQ(store.stored_instance_list("h1"), "");
    store.store_instance_list("h1", "[]");
    EXPECT_EQ(store.stored_instance_list("h1"), "[]");
}

TEST_F(host_store_test, newer_schema_is_refused) {
    {
        core::database db(db_file());
        db.set_user_version(99);
    }
    EXPECT_THROW(host_store{db_file()}, std::runtime_error);
}

TEST(to_public_json, never_contains_the_key) {
    host_record host;
    host.id = "id-1";
    host.name = "box";
    host.url = "http://box:1";
    host.api_key = "super-secret-value";
    host.created_at = t0;
    host.updated_at = t0 + 60;
    auto json = to_public_json(host);
    EXPECT_FALSE(json.contains("api_key"));
    EXPECT_EQ(json.dump().find("super-secret-value"), std::string::npos);
    EXPECT_EQ(json["api_key_set"], true);
    EXPECT_EQ(json["id"], "id-1");
    EXPECT_EQ(json["name"], "box");
    EXPECT_EQ(json["url"], "http://box:1");
    EXPECT_EQ(json["status"], "offline");
    EXPECT_TRUE(json["last_seen"].is_null());
    EXPECT_TRUE(json["last_error"].is_null());
    EXPECT_TRUE(json["ca_file"].is_null());
    EXPECT_EQ(json["instance_count"], 0);
    EXPECT_EQ(json["created_at"], "2023-11-14T22:13:20Z");
    EXPECT_EQ(json["updated_at"], "2023-11-14T22:14:20Z");

    host.api_key.clear();
    host.last_seen = 0;
    host.last_error = "refused";
    host.ca_file = "/ca.pem";
    json = to_public_json(host);
    EXPECT_EQ(json["api_key_set"], false);
    EXPECT_EQ(json["last_seen"], "1970-01-01T00:00:00Z");
    EXPECT_EQ(json["last_error"], "refused");
    EXPECT_EQ(json["ca_file"], "/ca.pem");
}

}  // namespace
}  // namespace solar::control
