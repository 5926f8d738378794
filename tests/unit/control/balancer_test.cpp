// Unit tests for load tracking, the instance choice and failure back-off.
#include <solar/control/balancer.hpp>

#include <gtest/gtest.h>

#include <memory>
#include <vector>

namespace solar::control {
namespace {

using namespace std::chrono_literals;

instance_info make_instance(std::string id, std::string host, double parameter_count = 1e9) {
    instance_info i;
    i.instance_id = std::move(id);
    i.host_id = std::move(host);
    i.host_name = "host " + i.host_id;
    i.alias = "m";
    i.status = "running";
    i.port = 3500;
    i.base_url = "http://10.0.0.1:3500";
    i.endpoints = {endpoint::chat_completions};
    i.parameter_count = parameter_count;
    return i;
}

std::vector<const instance_info*> pointers(const std::vector<instance_info>& instances) {
    std::vector<const instance_info*> out;
    for (const auto& i : instances) out.push_back(&i);
    return out;
}

// The instance ids pick() returns over `n` calls, without taking any load in between.
std::vector<std::string> pick_sequence(
    const std::vector<const instance_info*>& candidates,
    const load_tracker& load,
    std::atomic<std::uint64_t>& rr,
    int n
) {
    std::vector<std::string> ids;
    for (int k = 0; k < n; ++k) {
        const auto* chosen = pick(candidates, load, rr);
        ids.push_back(chosen ? chosen->instance_id : "<none>");
    }
    return ids;
}

TEST(load_tracker, starts_empty) {
    load_tracker load;
    EXPECT_EQ(load.load_of("h1").in_flight, 0);
    EXPECT_EQ(load.load_of("h1").parameter_load, 0);
    EXPECT_EQ(load.instance_in_flight("i1"), 0);
}

TEST(load_tracker, acquire_adds_and_lease_release_restores) {
    load_tracker load;
    auto a = make_instance("a", "h1", 8e9);
    auto b = make_instance("b", "h1", 0.5e9);
    {
        auto lease_a = load.acquire(a);
        EXPECT_TRUE(lease_a.active());
        EXPECT_EQ(load.load_of("h1").in_flight, 1);
        EXPECT_EQ(load.load_of("h1").parameter_load, 8e9);
        {
            auto lease_b = load.acquire(b);
            auto lease_a2 = load.acquire(a);
            EXPECT_EQ(load.load_of("h1").in_flight, 3);
            EXPECT_EQ(load.load_of("h1").parameter_load, 16.5e9);
            EXPECT_EQ(load.instance_in_flight("a"), 2);
            EXPECT_EQ(load.instance_in_flight("b"), 1);
        }
        EXPECT_EQ(load.load_of("h1").in_flight, 1);
        EXPECT_EQ(load.load_of("h1").parameter_load, 8e9);
        EXPECT_EQ(load.instance_in_flight("a"), 1);
        EXPECT_EQ(load.instance_in_flight("b"), 0);
    }
    EXPECT_EQ(load.load_of("h1").in_flight, 0);
    EXPECT_EQ(load.load_of("h1").parameter_load, 0);
    EXPECT_EQ(load.instance_in_flight("a"), 0);
}

TEST(load_tracker, hosts_are_counted_separately) {
    load_tracker load;
    auto a = make_instance("a", "h1", 2e9);
    auto b = make_instance("b", "h2", 3e9);
    auto lease_a = load.acquire(a);
    auto lease_b = load.acquire(b);
    EXPECT_EQ(load.load_of("h1").parameter_load, 2e9);
    EXPECT_EQ(load.load_of("h2").parameter_load, 3e9);
}

TEST(load_tracker, moved_lease_releases_exactly_once) {
    load_tracker load;
    auto a = make_instance("a", "h1", 4e9);
    {
        auto first = load.acquire(a);
        load_tracker::lease second(std::move(first));
        EXPECT_FALSE(first.active());
        EXPECT_TRUE(second.active());
        load_tracker::lease third;
        third = std::move(second);
        EXPECT_EQ(load.load_of("h1").in_flight, 1);
        EXPECT_EQ(load.instance_in_flight("a"), 1);
    }
    EXPECT_EQ(load.load_of("h1").in_flight, 0);
    EXPECT_EQ(load.instance_in_flight("a"), 0);
}

TEST(load_tracker, move_assignment_releases_the_overwritten_lease) {
    load_tracker load;
    auto a = make_instance("a", "h1", 1e9);
    auto b = make_instance("b", "h2", 1e9);
    auto lease = load.acquire(a);
    lease = load.acquire(b);
    EXPECT_EQ(load.load_of("h1").in_flight, 0);
    EXPECT_EQ(load.load_of("h2").in_flight, 1);
}

TEST(load_tracker, explicit_release_is_idempotent) {
    load_tracker load;
    auto a = make_instance("a", "h1", 1e9);
    auto other = load.acquire(a);
    {
        auto lease = load.acquire(a);
        lease.release();
        lease.release();
        EXPECT_FALSE(lease.active());
        EXPECT_EQ(load.load_of("h1").in_flight, 1);
    }
    EXPECT_EQ(load.load_of("h1").in_flight, 1);
    EXPECT_EQ(load.instance_in_flight("a"), 1);
}

TEST(load_tracker, idle_host_load_is_exactly_zero) {
    load_tracker load;
    auto odd = make_instance("a", "h1", 0.1);
    auto other = make_instance("b", "h1", 0.2);
    {
        auto l1 = load.acquire(odd);
        auto l2 = load.acquire(other);
    }
    EXPECT_EQ(load.load_of("h1").parameter_load, 0.0);
}

TEST(load_tracker, loads_of_reads_each_candidates_host) {
    load_tracker load;
    std::vector<instance_info> instances{make_instance("a", "h1", 2e9), make_instance("b", "h2")};
    auto lease = load.acquire(instances[0]);
    auto candidates = pointers(instances);
    std::vector<load_tracker::host_load> out(2);
    load.loads_of(candidates, out);
    EXPECT_EQ(out[0].in_flight, 1);
    EXPECT_EQ(out[0].parameter_load, 2e9);
    EXPECT_EQ(out[1].in_flight, 0);
}

TEST(load_tracker, a_host_slot_is_the_cell_that_leases_change) {
    load_tracker load;
    const auto* slot = load.host_slot("h1");
    EXPECT_EQ(slot->in_flight, 0);
    EXPECT_EQ(load.host_slot("h1"), slot) << "one cell per host, at a stable address";
    EXPECT_NE(load.host_slot("h2"), slot);
    auto i = make_instance("a", "h1", 3e9);
    auto lease = load.acquire(i);
    std::vector<const load_tracker::host_load*> slots{slot, load.host_slot("h2")};
    std::vector<load_tracker::host_load> out(2);
    load.loads_of(slots, out);
    EXPECT_EQ(out[0].in_flight, 1);
    EXPECT_EQ(out[0].parameter_load, 3e9);
    EXPECT_EQ(out[1].in_flight, 0);
    lease.release();
    load.loads_of(slots, out);
    EXPECT_EQ(out[0].in_flight, 0);
}

TEST(balancer, host_slots_are_where_loads_are_read_from) {
    // Candidates on h1 and h2; the slots given point h1's candidate at a busy cell of another
    // tracker, so a pick that reads through them must avoid it.
    std::vector<instance_info> instances{make_instance("a", "h1"), make_instance("b", "h2")};
    load_tracker load;
    load_tracker other;
    auto busy = other.acquire(instances[0]);
    std::vector<const load_tracker::host_load*> slots{other.host_slot("h1"), load.host_slot("h2")};
    std::atomic<std::uint64_t> rr{0};
    EXPECT_EQ(pick(pointers(instances), load, rr)->instance_id, "a");
    rr = 0;
    EXPECT_EQ(pick(pointers(instances), slots, load, rr)->instance_id, "b");
}

TEST(balancer, picks_through_host_slots_match_picks_by_host_id) {
    // 300 candidates on 17 hosts, loads and skips varied: the same sequence of choices, and
    // the same cursor, whichever way the loads are read.
    std::vector<instance_info> instances;
    for (int k = 0; k < 300; ++k) {
        instances.push_back(
            make_instance("i" + std::to_string(k), "h" + std::to_string(k * 7 % 17), 1e9 + k % 5)
        );
    }
    load_tracker load;
    std::vector<const load_tracker::host_load*> slots;
    for (const auto& i : instances) slots.push_back(load.host_slot(i.host_id));
    auto candidates = pointers(instances);
    std::vector<load_tracker::lease> leases;
    std::atomic<std::uint64_t> by_id{0};
    std::atomic<std::uint64_t> by_slot{0};
    for (int round = 0; round < 400; ++round) {
        auto skip = [round](const instance_info& i) {
            return std::hash<std::string>{}(i.instance_id) % 11 ==
                   static_cast<std::size_t>(round % 11);
        };
        const auto* expected = pick(candidates, load, by_id, skip);
        const auto* chosen = pick(candidates, slots, load, by_slot, skip);
        ASSERT_EQ(chosen, expected) << "round " << round;
        ASSERT_EQ(by_slot.load(), by_id.load());
        // Requests pile up, and now and then the oldest half finish.
        if (chosen != nullptr) leases.push_back(load.acquire(*chosen));
        if (round % 37 == 36) leases.erase(leases.begin(), leases.begin() + leases.size() / 2);
    }
}

TEST(host_groups, list_each_host_once_with_its_candidates_ascending) {
    load_tracker load;
    const auto* a = load.host_slot("a");
    const auto* b = load.host_slot("b");
    const auto* c = load.host_slot("c");
    std::vector<const load_tracker::host_load*> slots{b, a, b, c, a, b};
    auto groups = host_groups::of(slots);
    EXPECT_EQ(groups.hosts, (std::vector<const load_tracker::host_load*>{b, a, c}));
    EXPECT_EQ(groups.first_member, (std::vector<std::uint32_t>{0, 3, 5, 6}));
    EXPECT_EQ(groups.members, (std::vector<std::uint32_t>{0, 2, 5, 1, 4, 3}));
    EXPECT_TRUE(host_groups::of({}).hosts.empty());
}

// 160 candidates on 4 hosts in blocks of 40 (h0: 0-39, h1: 40-79, ...), every host busy.
// Blocks longer than pick()'s walk in scan order make it merge the tied hosts' candidates.
struct busy_blocks {
    std::vector<instance_info> instances;
    load_tracker load;
    std::vector<const load_tracker::host_load*> slots;
    host_groups groups;
    std::vector<load_tracker::lease> leases;

    explicit busy_blocks(const std::vector<double>& host_loads) {
        for (int k = 0; k < 160; ++k) {
            instances.push_back(
                make_instance("i" + std::to_string(k), "h" + std::to_string(k / 40), 1e9)
            );
        }
        for (const auto& i : instances) slots.push_back(load.host_slot(i.host_id));
        groups = host_groups::of(slots);
        for (std::size_t h = 0; h < host_loads.size(); ++h) {
            auto host = "h" + std::to_string(h);
            leases.push_back(load.acquire(make_instance("load-" + host, host, host_loads[h])));
        }
    }
    const instance_info* pick_from(
        std::atomic<std::uint64_t>& cursor,
        const std::function<bool(const instance_info&)>& skip = {}
    ) {
        return pick(pointers(instances), slots, &groups, load, cursor, skip);
    }
    std::string id_from(
        std::uint64_t at, const std::function<bool(const instance_info&)>& skip = {}
    ) {
        std::atomic<std::uint64_t> cursor{at};
        const auto* chosen = pick_from(cursor, skip);
        return chosen ? chosen->instance_id : "<none>";
    }
};

TEST(balancer, with_every_host_busy_the_least_loaded_hosts_next_candidate_is_chosen) {
    busy_blocks fleet({5e9, 2e9, 7e9, 3e9});  // h1 is the least loaded
    EXPECT_EQ(fleet.id_from(0), "i40");
    EXPECT_EQ(fleet.id_from(54), "i54");
    EXPECT_EQ(fleet.id_from(100), "i40") << "the scan wraps around";
    // h1 ruled out by skip: h3 (3e9) is next.
    auto not_h1 = [](const instance_info& i) { return i.host_id == "h1"; };
    EXPECT_EQ(fleet.id_from(54, not_h1), "i120");
    // Only i42 and i43 left on h1: i43 is the first from the cursor at 43, i42 from 44.
    auto only_42_43 = [](const instance_info& i) {
        return i.host_id == "h1" && i.instance_id != "i42" && i.instance_id != "i43";
    };
    EXPECT_EQ(fleet.id_from(43, only_42_43), "i43");
    EXPECT_EQ(fleet.id_from(44, only_42_43), "i42");
    EXPECT_EQ(fleet.id_from(0, [](const instance_info&) { return true; }), "<none>");
}

TEST(balancer, hosts_tied_on_load_go_in_scan_order_and_the_cursor_follows) {
    busy_blocks fleet({4e9, 3e9, 3e9, 6e9});  // h1 (40-79) and h2 (80-119) tie
    std::atomic<std::uint64_t> cursor{67};
    EXPECT_EQ(fleet.pick_from(cursor)->instance_id, "i67");
    EXPECT_EQ(cursor.load(), 68u);
    cursor = 80;
    auto skip_i80 = [](const instance_info& i) { return i.instance_id == "i80"; };
    EXPECT_EQ(fleet.pick_from(cursor, skip_i80)->instance_id, "i81");
    EXPECT_EQ(cursor.load(), 82u);
    cursor = 125;  // on h3: h1's i40 comes before h2's i80 once the scan wraps
    EXPECT_EQ(fleet.pick_from(cursor)->instance_id, "i40");
    EXPECT_EQ(cursor.load(), 41u);
}

TEST(balancer, picks_host_by_host_match_picks_candidate_by_candidate) {
    // 600 candidates on 23 hosts, in blocks and interleaved, loads and skips varied: the same
    // sequence of choices, and the same cursor, with or without the host groups.
    std::vector<instance_info> instances;
    for (int k = 0; k < 600; ++k) {
        int host = k < 300 ? k / 30 : 10 + k * 7 % 13;
        instances.push_back(make_instance(
            "i" + std::to_string(k), "h" + std::to_string(host), 1e9 + (k % 3) * 0.5e9
        ));
    }
    load_tracker load;
    std::vector<const load_tracker::host_load*> slots;
    for (const auto& i : instances) slots.push_back(load.host_slot(i.host_id));
    auto groups = host_groups::of(slots);
    ASSERT_EQ(groups.hosts.size(), 23u);
    auto candidates = pointers(instances);
    std::vector<load_tracker::lease> leases;
    std::atomic<std::uint64_t> each{0};
    std::atomic<std::uint64_t> grouped{0};
    for (int round = 0; round < 1500; ++round) {
        auto skip = [round](const instance_info& i) {
            auto h = std::hash<std::string>{}(i.instance_id);
            return round % 5 == 4 ? h % 2 == 0 : h % 13 == static_cast<std::size_t>(round % 13);
        };
        const auto* expected = pick(candidates, slots, load, each, skip);
        const auto* chosen = pick(candidates, slots, &groups, load, grouped, skip);
        ASSERT_EQ(chosen, expected) << "round " << round;
        ASSERT_EQ(grouped.load(), each.load());
        if (chosen != nullptr) leases.push_back(load.acquire(*chosen));
        if (round % 97 == 96) leases.erase(leases.begin(), leases.begin() + leases.size() / 2);
    }
}

TEST(balancer, empty_candidates_give_nullptr) {
    load_tracker load;
    std::atomic<std::uint64_t> rr{0};
    EXPECT_EQ(pick({}, load, rr), nullptr);
}

TEST(balancer, round_robin_breaks_ties_in_candidate_order) {
    std::vector<instance_info> instances{
        make_instance("a", "h1"), make_instance("b", "h2"), make_instance("c", "h3")};
    load_tracker load;
    std::atomic<std::uint64_t> rr{0};
    EXPECT_EQ(
        pick_sequence(pointers(instances), load, rr, 7),
        (std::vector<std::string>{"a", "b", "c", "a", "b", "c", "a"})
    );
    EXPECT_EQ(rr.load(), 1u);  // just after the last choice, "a" at index 0
}

TEST(balancer, scan_starts_at_cursor_modulo_candidates) {
    std::vector<instance_info> instances{make_instance("a", "h1"), make_instance("b", "h2")};
    load_tracker load;
    std::atomic<std::uint64_t> rr{5};
    EXPECT_EQ(pick(pointers(instances), load, rr)->instance_id, "b");  // 5 % 2 == 1
    EXPECT_EQ(rr.load(), 2u);
}

TEST(balancer, scan_wraps_around_past_the_end) {
    std::vector<instance_info> instances{
        make_instance("a", "h1"), make_instance("b", "h2"), make_instance("c", "h3")};
    load_tracker load;
    auto lease = load.acquire(instances[2]);
    std::atomic<std::uint64_t> rr{2};  // starts at the busy "c", wraps to "a"
    EXPECT_EQ(pick(pointers(instances), load, rr)->instance_id, "a");
}

TEST(balancer, a_free_host_near_the_cursor_ends_the_scan_early) {
    // 2,000 candidates, all free: only the chosen one is ever offered to skip().
    std::vector<instance_info> instances;
    for (int k = 0; k < 2000; ++k)
        instances.push_back(make_instance("i" + std::to_string(k), "h" + std::to_string(k)));
    load_tracker load;
    std::atomic<std::uint64_t> rr{1234};
    int skip_calls = 0;
    auto count = [&](const instance_info&) { return ++skip_calls, false; };
    EXPECT_EQ(pick(pointers(instances), load, rr, count)->instance_id, "i1234");
    EXPECT_EQ(skip_calls, 1);
}

TEST(balancer, all_busy_finds_the_lowest_load_anywhere_in_a_large_alias) {
    std::vector<instance_info> instances;
    for (int k = 0; k < 500; ++k)
        instances.push_back(make_instance("i" + std::to_string(k), "h" + std::to_string(k), 8e9));
    instances[321].parameter_count = 1e9;
    load_tracker load;
    std::vector<load_tracker::lease> leases;
    for (const auto& i : instances) leases.push_back(load.acquire(i));
    std::atomic<std::uint64_t> rr{400};
    EXPECT_EQ(pick(pointers(instances), load, rr)->instance_id, "i321");
    EXPECT_EQ(rr.load(), 322u);
}

TEST(balancer, prefers_instances_on_free_hosts) {
    std::vector<instance_info> instances{
        make_instance("busy-small", "h1", 1e9),
        make_instance("free-big", "h2", 70e9),
        make_instance("busy-too", "h3", 1e9),
    };
    load_tracker load;
    auto l1 = load.acquire(instances[0]);
    auto l3 = load.acquire(instances[2]);
    std::atomic<std::uint64_t> rr{0};
    EXPECT_EQ(
        pick_sequence(pointers(instances), load, rr, 3),
        (std::vector<std::string>{"free-big", "free-big", "free-big"})
    );
}

TEST(balancer, a_busy_host_is_busy_for_all_its_instances) {
    std::vector<instance_info> instances{
        make_instance("a1", "h1"), make_instance("a2", "h1"), make_instance("b1", "h2")};
    load_tracker load;
    auto lease = load.acquire(instances[0]);  // h1 now busy, a2 included
    std::atomic<std::uint64_t> rr{0};
    EXPECT_EQ(
        pick_sequence(pointers(instances), load, rr, 2), (std::vector<std::string>{"b1", "b1"})
    );
}

TEST(balancer, free_hosts_round_robin_among_themselves) {
    std::vector<instance_info> instances{
        make_instance("a", "h1"), make_instance("b", "h2"), make_instance("c", "h3")};
    load_tracker load;
    auto lease = load.acquire(instances[1]);
    std::atomic<std::uint64_t> rr{0};
    EXPECT_EQ(
        pick_sequence(pointers(instances), load, rr, 4),
        (std::vector<std::string>{"a", "c", "a", "c"})
    );
}

TEST(balancer, otherwise_lowest_parameter_load_wins) {
    std::vector<instance_info> instances{
        make_instance("on-heavy", "h1", 70e9),
        make_instance("on-light", "h2", 8e9),
    };
    load_tracker load;
    auto heavy = load.acquire(instances[0]);
    auto light1 = load.acquire(instances[1]);
    auto light2 = load.acquire(instances[1]);  // two requests, 16e9, still below 70e9
    std::atomic<std::uint64_t> rr{0};
    EXPECT_EQ(
        pick_sequence(pointers(instances), load, rr, 2),
        (std::vector<std::string>{"on-light", "on-light"})
    );
}

TEST(balancer, load_counts_every_model_a_host_serves) {
    // h1 runs the candidate "m" and an unrelated big model; its load includes both.
    std::vector<instance_info> instances{
        make_instance("m-h1", "h1", 1e9), make_instance("m-h2", "h2", 1e9)};
    auto big_on_h1 = make_instance("big", "h1", 30e9);
    auto mid_on_h2 = make_instance("mid", "h2", 10e9);
    load_tracker load;
    auto l1 = load.acquire(big_on_h1);
    auto l2 = load.acquire(mid_on_h2);
    std::atomic<std::uint64_t> rr{0};
    EXPECT_EQ(pick(pointers(instances), load, rr)->instance_id, "m-h2");
}

TEST(balancer, equal_loads_round_robin) {
    std::vector<instance_info> instances{
        make_instance("a", "h1", 5e9),
        make_instance("b", "h2", 5e9),
        make_instance("c", "h3", 9e9)};
    load_tracker load;
    auto la = load.acquire(instances[0]);
    auto lb = load.acquire(instances[1]);
    auto lc = load.acquire(instances[2]);
    std::atomic<std::uint64_t> rr{0};
    EXPECT_EQ(
        pick_sequence(pointers(instances), load, rr, 4),
        (std::vector<std::string>{"a", "b", "a", "b"})
    );
}

TEST(balancer, released_load_makes_a_host_preferred_again) {
    std::vector<instance_info> instances{make_instance("a", "h1"), make_instance("b", "h2")};
    load_tracker load;
    std::atomic<std::uint64_t> rr{0};
    auto lease_b = load.acquire(instances[1]);
    {
        auto lease_a = load.acquire(instances[0]);
        auto lease_a2 = load.acquire(instances[0]);  // h1 heavier than h2
        EXPECT_EQ(pick(pointers(instances), load, rr)->instance_id, "b");
    }
    EXPECT_EQ(pick(pointers(instances), load, rr)->instance_id, "a");  // h1 free again
}

TEST(balancer, skip_excludes_candidates) {
    std::vector<instance_info> instances{
        make_instance("a", "h1"), make_instance("b", "h2"), make_instance("c", "h3")};
    load_tracker load;
    std::atomic<std::uint64_t> rr{0};
    auto skip_b = [](const instance_info& i) { return i.instance_id == "b"; };
    std::vector<std::string> ids;
    for (int k = 0; k < 4; ++k)
        ids.push_back(pick(pointers(instances), load, rr, skip_b)->instance_id);
    EXPECT_EQ(ids, (std::vector<std::string>{"a", "c", "a", "c"}));
}

TEST(balancer, skip_applies_before_load_preference) {
    std::vector<instance_info> instances{make_instance("free", "h1"), make_instance("busy", "h2")};
    load_tracker load;
    auto lease = load.acquire(instances[1]);
    std::atomic<std::uint64_t> rr{0};
    auto skip_free = [](const instance_info& i) { return i.instance_id == "free"; };
    EXPECT_EQ(pick(pointers(instances), load, rr, skip_free)->instance_id, "busy");
}

TEST(balancer, everything_skipped_gives_nullptr) {
    std::vector<instance_info> instances{make_instance("a", "h1"), make_instance("b", "h2")};
    load_tracker load;
    std::atomic<std::uint64_t> rr{0};
    EXPECT_EQ(
        pick(pointers(instances), load, rr, [](const instance_info&) { return true; }), nullptr
    );
}

TEST(balancer, many_candidates_beyond_the_inline_buffer) {
    std::vector<instance_info> instances;
    for (int k = 0; k < 100; ++k)
        instances.push_back(make_instance("i" + std::to_string(k), "h" + std::to_string(k)));
    load_tracker load;
    std::vector<load_tracker::lease> leases;
    for (int k = 0; k < 99; ++k) leases.push_back(load.acquire(instances[k]));
    std::atomic<std::uint64_t> rr{0};
    EXPECT_EQ(pick(pointers(instances), load, rr)->instance_id, "i99");
}

TEST(backoff_list, unknown_instance_is_not_in_backoff) {
    backoff_list backoff;
    EXPECT_FALSE(backoff.in_backoff("a", std::chrono::steady_clock::time_point{}));
}

TEST(backoff_list, backoff_lasts_exactly_its_duration) {
    backoff_list backoff;
    std::chrono::steady_clock::time_point t0{std::chrono::seconds(100)};
    backoff.mark_failed("a", t0, 5000ms);
    EXPECT_TRUE(backoff.in_backoff("a", t0));
    EXPECT_TRUE(backoff.in_backoff("a", t0 + 4999ms));
    EXPECT_FALSE(backoff.in_backoff("a", t0 + 5000ms));
    EXPECT_FALSE(backoff.in_backoff("a", t0 + 1h));
    EXPECT_FALSE(backoff.in_backoff("b", t0));
}

TEST(backoff_list, a_new_failure_extends_but_never_shortens) {
    backoff_list backoff;
    std::chrono::steady_clock::time_point t0{std::chrono::seconds(100)};
    backoff.mark_failed("a", t0, 5000ms);
    backoff.mark_failed("a", t0 + 3000ms, 5000ms);
    EXPECT_TRUE(backoff.in_backoff("a", t0 + 7000ms));
    backoff.mark_failed("a", t0 + 7000ms, 100ms);
    EXPECT_TRUE(backoff.in_backoff("a", t0 + 7500ms));
    EXPECT_FALSE(backoff.in_backoff("a", t0 + 8000ms));
}

TEST(backoff_list, expired_entries_do_not_affect_later_failures) {
    backoff_list backoff;
    std::chrono::steady_clock::time_point t0{std::chrono::seconds(100)};
    backoff.mark_failed("a", t0, 1000ms);
    backoff.mark_failed("b", t0 + 2000ms, 1000ms);  // prunes "a"
    EXPECT_FALSE(backoff.in_backoff("a", t0 + 2000ms));
    EXPECT_TRUE(backoff.in_backoff("b", t0 + 2000ms));
    backoff.mark_failed("a", t0 + 2500ms, 1000ms);
    EXPECT_TRUE(backoff.in_backoff("a", t0 + 3000ms));
}

TEST(backoff_list, drives_skip_in_pick) {
    std::vector<instance_info> instances{make_instance("a", "h1"), make_instance("b", "h2")};
    load_tracker load;
    backoff_list backoff;
    std::atomic<std::uint64_t> rr{0};
    std::chrono::steady_clock::time_point now{std::chrono::seconds(10)};
    backoff.mark_failed("a", now, 5000ms);
    auto skip = [&](const instance_info& i) { return backoff.in_backoff(i.instance_id, now); };
    EXPECT_EQ(pick(pointers(instances), load, rr, skip)->instance_id, "b");
    EXPECT_EQ(pick(pointers(instances), load, rr, skip)->instance_id, "b");
    now += 5000ms;
    std::vector<std::string> ids;
    for (int k = 0; k < 2; ++k)
        ids.push_back(pick(pointers(instances), load, rr, skip)->instance_id);
    EXPECT_EQ(ids, (std::vector<std::string>{"a", "b"}));  // the cursor was just after "b"
}

}  // namespace
}  // namespace solar::control
