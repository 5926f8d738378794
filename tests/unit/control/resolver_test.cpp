// Unit tests for alias resolution: exact match, prefix fallback and its tie-breaks, errors.
#include <solar/control/resolver.hpp>

#include <gtest/gtest.h>

#include <algorithm>

namespace solar::control {
namespace {

using endpoints = std::vector<endpoint>;
const endpoints chat{endpoint::chat_completions, endpoint::completions};

instance_info make_instance(
    std::string id, std::string alias, std::string status = "running", endpoints served = chat
) {
    instance_info i;
    i.instance_id = std::move(id);
    i.alias = std::move(alias);
    i.host_id = "h1";
    i.host_name = "host 1";
    i.status = std::move(status);
    i.port = 3500;
    i.base_url = "http://10.0.0.1:3500";
    i.endpoints = std::move(served);
    return i;
}

std::vector<std::string> candidate_ids(const resolution& r) {
    std::vector<std::string> ids;
    for (const auto* c : r.candidates) ids.push_back(c->instance_id);
    return ids;
}

std::string resolved_alias(
    const routing_table& table, std::string_view model, endpoint ep = endpoint::chat_completions
) {
    auto r = resolve(table, model, ep, true);
    return r ? std::string(r->alias) : "<" + r.error().message() + ">";
}

TEST(resolver, exact_match_returns_routable_candidates_serving_the_endpoint) {
    routing_table table({
        make_instance("i1", "llama3:8b"),
        make_instance("i2", "llama3:8b", "stopped"),
        make_instance("i3", "llama3:8b"),
        make_instance("i4", "llama3:8b", "running", {endpoint::embeddings}),
        make_instance("i5", "other"),
    });
    auto r = resolve(table, "llama3:8b", endpoint::chat_completions, false);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->alias, "llama3:8b");
    EXPECT_EQ(candidate_ids(*r), (std::vector<std::string>{"i1", "i3"}));
    EXPECT_EQ(
        endpoints(r->served_endpoints.begin(), r->served_endpoints.end()),
        (endpoints{endpoint::chat_completions, endpoint::completions, endpoint::embeddings})
    );
    // Candidates point into the table itself.
    EXPECT_EQ(r->candidates[0], &(*table.find_alias("llama3:8b"))[0]);
}

TEST(resolver, each_alias_and_endpoint_has_its_own_round_robin_cursor) {
    routing_table table({
        make_instance("i1", "a", "running", {endpoint::chat_completions, endpoint::completions}),
        make_instance("i2", "b"),
    });
    auto a_chat = resolve(table, "a", endpoint::chat_completions, false);
    auto a_chat_again = resolve(table, "a", endpoint::chat_completions, false);
    auto a_completions = resolve(table, "a", endpoint::completions, false);
    auto b_chat = resolve(table, "b", endpoint::chat_completions, false);
    ASSERT_TRUE(a_chat && a_chat_again && a_completions && b_chat);
    ASSERT_NE(a_chat->cursor, nullptr);
    EXPECT_EQ(a_chat->cursor, a_chat_again->cursor);
    EXPECT_NE(a_chat->cursor, a_completions->cursor);
    EXPECT_NE(a_chat->cursor, b_chat->cursor);
}

TEST(resolver, the_candidates_host_load_cells_come_with_them) {
    load_tracker load;
    routing_table table({make_instance("i1", "a"), make_instance("i2", "a")}, &load);
    auto r = resolve(table, "a", endpoint::chat_completions, false);
    ASSERT_TRUE(r.has_value());
    ASSERT_EQ(r->host_slots.size(), 2u);
    EXPECT_EQ(r->host_slots[0], load.host_slot("h1"));
    EXPECT_EQ(r->host_slots[1], load.host_slot("h1"));
    ASSERT_NE(r->candidate_hosts, nullptr);
    EXPECT_EQ(r->candidate_hosts->hosts.size(), 1u) << "both candidates run on h1";
    EXPECT_EQ(r->candidate_hosts->members, (std::vector<std::uint32_t>{0, 1}));
    routing_table without({make_instance("i1", "a")});
    auto r_without = resolve(without, "a", endpoint::chat_completions, false);
    EXPECT_TRUE(r_without->host_slots.empty());
    EXPECT_EQ(r_without->candidate_hosts, nullptr);
}

TEST(resolver, unknown_model_is_model_not_found) {
    routing_table table({make_instance("i1", "llama3:8b")});
    resolution_failure failure{"stale", {endpoint::classify}};
    auto r = resolve(table, "mistral", endpoint::chat_completions, true, &failure);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error(), errc::model_not_found);
    EXPECT_STREQ(r.error().category().name(), "solar.control.resolver");
    EXPECT_EQ(failure.alias, "");
    EXPECT_TRUE(failure.served_endpoints.empty());
}

TEST(resolver, prefix_needs_the_fallback_switch) {
    routing_table table({make_instance("i1", "llama3:8b")});
    auto r = resolve(table, "llama3", endpoint::chat_completions, false);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error(), errc::model_not_found);
}

TEST(resolver, endpoint_not_served_names_what_is_served) {
    routing_table table({
        make_instance("i1", "embed:minilm", "running", {endpoint::embeddings}),
        make_instance("i2", "embed:minilm", "stopped", {endpoint::classify}),
    });
    resolution_failure failure;
    auto r = resolve(table, "embed:minilm", endpoint::chat_completions, false, &failure);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error(), errc::endpoint_not_supported);
    EXPECT_EQ(failure.alias, "embed:minilm");
    EXPECT_EQ(failure.served_endpoints, (endpoints{endpoint::embeddings, endpoint::classify}));
}

TEST(resolver, serving_but_nothing_routable_is_no_running_instance) {
    instance_info no_port = make_instance("i3", "llama3:8b");
    no_port.port = 0;
    routing_table table({
        make_instance("i1", "llama3:8b", "stopped"),
        make_instance("i2", "llama3:8b", "starting"),
        no_port,
        make_instance("i4", "llama3:8b", "running", {endpoint::embeddings}),
    });
    resolution_failure failure;
    auto r = resolve(table, "llama3:8b", endpoint::chat_completions, false, &failure);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error(), errc::no_running_instance);
    EXPECT_EQ(failure.alias, "llama3:8b");
    EXPECT_EQ(
        failure.served_endpoints,
        (endpoints{endpoint::chat_completions, endpoint::completions, endpoint::embeddings})
    );
}

TEST(resolver, failure_out_param_is_optional) {
    routing_table table({make_instance("i1", "a", "stopped")});
    EXPECT_EQ(resolve(table, "a", endpoint::completions, false).error(), errc::no_running_instance);
    EXPECT_EQ(resolve(table, "a", endpoint::classify, false).error(), errc::endpoint_not_supported);
}

TEST(resolver, exact_match_beats_prefix_even_when_not_routable) {
    routing_table table({
        make_instance("i1", "llama3", "stopped"),
        make_instance("i2", "llama3:8b"),
    });
    auto r = resolve(table, "llama3", endpoint::chat_completions, true);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error(), errc::no_running_instance);
}

TEST(resolver, prefix_fallback_finds_a_single_match) {
    routing_table table({make_instance("i1", "llama3:8b"), make_instance("i2", "qwen:1b")});
    auto r = resolve(table, "llama", endpoint::chat_completions, true);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->alias, "llama3:8b");
    EXPECT_EQ(candidate_ids(*r), std::vector<std::string>{"i1"});
}

TEST(resolver, prefix_prefers_aliases_that_can_serve_now) {
    routing_table table({
        make_instance("i1", "llama3:8b", "stopped"),
        make_instance("i2", "llama3:70b", "running", {endpoint::embeddings}),
        make_instance("i3", "llama3.1-long-name"),
    });
    // Rule (a) outranks the tag boundary and the length.
    EXPECT_EQ(resolved_alias(table, "llama3"), "llama3.1-long-name");
    EXPECT_EQ(resolved_alias(table, "llama3", endpoint::embeddings), "llama3:70b");
}

TEST(resolver, prefix_prefers_a_tag_boundary) {
    routing_table table({
        make_instance("i1", "llama3.1"),
        make_instance("i2", "llama3:70b"),
    });
    // Rule (b) outranks the length: "llama3.1" is shorter.
    EXPECT_EQ(resolved_alias(table, "llama3"), "llama3:70b");
}

TEST(resolver, prefix_prefers_the_shortest_then_the_smallest) {
    routing_table table({
        make_instance("i1", "llama3:70b"),
        make_instance("i2", "llama3:8b"),
        make_instance("i3", "llama3:1b"),
        make_instance("i4", "qwen-long"),
        make_instance("i5", "qwen-b"),
        make_instance("i6", "qwen-a"),
    });
    EXPECT_EQ(resolved_alias(table, "llama3"), "llama3:1b");  // (c) then (d) over "llama3:8b"
    EXPECT_EQ(resolved_alias(table, "qwen"), "qwen-a");       // (d)
}

TEST(resolver, prefix_choice_does_not_depend_on_input_order) {
    std::vector<instance_info> instances{
        make_instance("i1", "m:b"),
        make_instance("i2", "m:a"),
        make_instance("i3", "m-a"),
    };
    routing_table forward(instances);
    std::reverse(instances.begin(), instances.end());
    routing_table backward(instances);
    EXPECT_EQ(resolved_alias(forward, "m"), "m:a");
    EXPECT_EQ(resolved_alias(backward, "m"), "m:a");
}

TEST(resolver, prefix_match_reports_errors_for_the_chosen_alias) {
    routing_table table({
        make_instance("i1", "llama3:8b", "stopped"),
        make_instance("i2", "llama3-embed", "stopped", {endpoint::embeddings}),
    });
    resolution_failure failure;
    auto r = resolve(table, "llama3", endpoint::chat_completions, true, &failure);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error(), errc::no_running_instance);
    EXPECT_EQ(failure.alias, "llama3:8b");

    r = resolve(table, "llama3-e", endpoint::chat_completions, true, &failure);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error(), errc::endpoint_not_supported);
    EXPECT_EQ(failure.alias, "llama3-embed");
    EXPECT_EQ(failure.served_endpoints, endpoints{endpoint::embeddings});
}

TEST(resolver, empty_model_never_prefix_matches) {
    routing_table table({make_instance("i1", "a")});
    auto r = resolve(table, "", endpoint::chat_completions, true);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error(), errc::model_not_found);
}

TEST(resolver, error_codes_have_messages) {
    EXPECT_EQ(make_error_code(errc::model_not_found).message(), "model not found");
    EXPECT_NE(
        make_error_code(errc::endpoint_not_supported), make_error_code(errc::no_running_instance)
    );
    boost::system::error_code ec = errc::no_running_instance;  // is_error_code_enum
    EXPECT_EQ(&ec.category(), &resolver_category());
}

}  // namespace
}  // namespace solar::control
