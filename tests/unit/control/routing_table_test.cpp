// Unit tests for the alias-grouped routing table and the GET /v1/models summaries.
#include <solar/control/routing_table.hpp>

#include <gtest/gtest.h>

namespace solar::control {
namespace {

using endpoints = std::vector<endpoint>;

instance_info make_instance(
    std::string id,
    std::string alias,
    std::string host,
    std::string status = "running",
    endpoints served = {endpoint::chat_completions, endpoint::completions}
) {
    instance_info i;
    i.instance_id = std::move(id);
    i.alias = std::move(alias);
    i.host_id = host;
    i.host_name = "host " + host;
    i.status = std::move(status);
    i.port = 3500;
    i.base_url = "http://10.0.0.1:3500";
    i.endpoints = std::move(served);
    return i;
}

TEST(routing_table, groups_instances_by_alias_in_input_order) {
    routing_table table({
        make_instance("i1", "llama3:8b", "h1"),
        make_instance("i2", "qwen:1b", "h1"),
        make_instance("i3", "llama3:8b", "h2"),
    });
    EXPECT_EQ(table.instance_count(), 3u);
    const auto* llama = table.find_alias("llama3:8b");
    ASSERT_NE(llama, nullptr);
    ASSERT_EQ(llama->size(), 2u);
    EXPECT_EQ((*llama)[0].instance_id, "i1");
    EXPECT_EQ((*llama)[1].instance_id, "i3");
    ASSERT_NE(table.find_alias("qwen:1b"), nullptr);
    EXPECT_EQ(table.find_alias("qwen:1b")->size(), 1u);
}

TEST(routing_table, with_a_tracker_each_candidate_gets_its_hosts_load_cell) {
    load_tracker load;
    routing_table table(
        {
            make_instance("i1", "m", "h1"),
            make_instance("i2", "m", "h2", "stopped"),
            make_instance("i3", "m", "h2"),
            make_instance("i4", "m", "h1", "running", {endpoint::embeddings}),
        },
        &load
    );
    const auto* entry = table.find_entry("m");
    ASSERT_NE(entry, nullptr);
    for (auto ep : all_endpoints) {
        const auto& candidates = entry->candidates[static_cast<std::size_t>(ep)];
        const auto& slots = entry->host_slots[static_cast<std::size_t>(ep)];
        ASSERT_EQ(slots.size(), candidates.size()) << endpoint_path(ep);
        for (std::size_t k = 0; k < slots.size(); ++k) {
            EXPECT_EQ(slots[k], load.host_slot(candidates[k]->host_id));
        }
    }
    EXPECT_EQ(entry->host_slots[static_cast<std::size_t>(endpoint::chat_completions)].size(), 2u);
    // Chat's candidates i1 (h1) and i3 (h2) are grouped by host, for pick().
    const auto& chat_hosts =
        entry->candidate_hosts[static_cast<std::size_t>(endpoint::chat_completions)];
    EXPECT_EQ(
        chat_hosts.hosts,
        (std::vector<const load_tracker::host_load*>{load.host_slot("h1"), load.host_slot("h2")})
    );
    EXPECT_EQ(chat_hosts.members, (std::vector<std::uint32_t>{0, 1}));

    routing_table without({make_instance("i1", "m", "h1")});
    for (const auto& slots : without.find_entry("m")->host_slots) EXPECT_TRUE(slots.empty());
    for (const auto& groups : without.find_entry("m")->candidate_hosts) {
        EXPECT_TRUE(groups.hosts.empty());
    }
}

TEST(routing_table, unknown_alias_is_null_and_matching_is_exact) {
    routing_table table({make_instance("i1", "llama3:8b", "h1")});
    EXPECT_EQ(table.find_alias("llama3"), nullptr);
    EXPECT_EQ(table.find_alias("LLAMA3:8B"), nullptr);
    EXPECT_EQ(table.find_alias(""), nullptr);
}

TEST(routing_table, keeps_instances_that_are_not_running) {
    routing_table table({make_instance("i1", "stopped:1b", "h1", "stopped")});
    const auto* found = table.find_alias("stopped:1b");
    ASSERT_NE(found, nullptr);
    EXPECT_EQ(found->size(), 1u);
    EXPECT_EQ(table.aliases(), std::vector<std::string>{"stopped:1b"});
}

TEST(routing_table, aliases_are_sorted_and_unique) {
    routing_table table({
        make_instance("i1", "zeta", "h1"),
        make_instance("i2", "alpha", "h1"),
        make_instance("i3", "mid", "h1", "failed"),
        make_instance("i4", "alpha", "h2"),
    });
    EXPECT_EQ(table.aliases(), (std::vector<std::string>{"alpha", "mid", "zeta"}));
}

TEST(routing_table, aliases_with_prefix_is_a_sorted_range) {
    routing_table table({
        make_instance("i1", "llama3:8b", "h1"),
        make_instance("i2", "llama3", "h1"),
        make_instance("i3", "llama3.1:8b", "h1"),
        make_instance("i4", "llam", "h1"),
        make_instance("i5", "mistral", "h1"),
    });
    EXPECT_EQ(
        table.aliases_with_prefix("llama3"),
        (std::vector<std::string_view>{"llama3", "llama3.1:8b", "llama3:8b"})
    );
    EXPECT_TRUE(table.aliases_with_prefix("qwen").empty());
}

TEST(routing_table, empty_table) {
    routing_table table({});
    EXPECT_EQ(table.instance_count(), 0u);
    EXPECT_TRUE(table.aliases().empty());
    EXPECT_TRUE(table.model_summaries().empty());
}

TEST(routing_table, summaries_list_only_aliases_with_a_routable_instance) {
    routing_table table({
        make_instance("i1", "up:1b", "h1"),
        make_instance("i2", "down:1b", "h1", "stopped"),
        make_instance("i3", "up:1b", "h2", "stopped"),
    });
    auto summaries = table.model_summaries();
    ASSERT_EQ(summaries.size(), 1u);
    EXPECT_EQ(summaries[0].alias, "up:1b");
    EXPECT_EQ(summaries[0].routable_instances, 1u);
    EXPECT_EQ(summaries[0].host_names, std::vector<std::string>{"host h1"});
}

TEST(routing_table, summaries_count_instances_and_dedupe_hosts) {
    routing_table table({
        make_instance("i1", "m", "h2"),
        make_instance("i2", "m", "h1"),
        make_instance("i3", "m", "h2"),
        make_instance("i4", "a", "h3"),
    });
    auto summaries = table.model_summaries();
    ASSERT_EQ(summaries.size(), 2u);
    EXPECT_EQ(summaries[0].alias, "a");
    EXPECT_EQ(summaries[1].alias, "m");
    EXPECT_EQ(summaries[1].routable_instances, 3u);
    EXPECT_EQ(summaries[1].host_names, (std::vector<std::string>{"host h1", "host h2"}));
}

TEST(routing_table, summary_endpoints_are_the_union_in_enum_order) {
    routing_table table({
        make_instance("i1", "m", "h1", "running", {endpoint::classify}),
        make_instance("i2", "m", "h2", "running", {endpoint::embeddings, endpoint::completions}),
        make_instance("i3", "m", "h3", "running", {endpoint::classify}),
    });
    auto summaries = table.model_summaries();
    ASSERT_EQ(summaries.size(), 1u);
    EXPECT_EQ(
        summaries[0].endpoints,
        (endpoints{endpoint::completions, endpoint::embeddings, endpoint::classify})
    );
}

TEST(routing_table, served_endpoints_include_non_running_instances) {
    std::vector<instance_info> instances{
        make_instance("i1", "m", "h1", "stopped", {endpoint::embeddings}),
        make_instance("i2", "m", "h2", "running", {endpoint::chat_completions}),
    };
    EXPECT_EQ(
        served_endpoints(instances), (endpoints{endpoint::chat_completions, endpoint::embeddings})
    );
    EXPECT_TRUE(served_endpoints({}).empty());
}

}  // namespace
}  // namespace solar::control
