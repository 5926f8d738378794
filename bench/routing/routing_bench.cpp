// solar-bench-routing: the gateway's per-request routing decision (registry snapshot, alias
// resolution, balancer pick with the proxy's skip rule) and the CPU side of a registry refresh,
// on a fleet of 100 hosts x 20 instances. Google Benchmark.
#include <solar/control/balancer.hpp>
#include <solar/control/instance_info.hpp>
#include <solar/control/model_registry.hpp>
#include <solar/control/resolver.hpp>
#include <solar/control/routing_table.hpp>

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>

#include <algorithm>

namespace {

using namespace solar::control;
constexpr int hosts = 100;
constexpr int per_host = 20;

std::string alias_of(int host, int index, int aliases) {
    return "model-" + std::to_string((host * per_host + index) % aliases) + ":8b";
}

// 100 hosts x 20 running llama.cpp instances spread over `aliases` aliases.
std::vector<instance_info> fleet(int aliases) {
    std::vector<instance_info> all;
    for (int h = 0; h < hosts; ++h) {
        for (int i = 0; i < per_host; ++i) {
            instance_info info;
            info.host_id = "host-" + std::to_string(h);
            info.host_name = "gpu-" + std::to_string(h);
            info.instance_id = info.host_id + "-inst-" + std::to_string(i);
            info.alias = alias_of(h, i, aliases);
            info.backend_type = "llamacpp";
            info.status = "running";
            info.port = static_cast<std::uint16_t>(3500 + i);
            info.base_url = "http://10.0.0." + std::to_string(h) + ":" + std::to_string(info.port);
            info.endpoints = endpoints_for_backend("llamacpp");
            info.parameter_count = 8e9;
            all.push_back(std::move(info));
        }
    }
    return all;
}

// One request's routing decision exactly as openai_proxy::handle makes it.
// by_host = false leaves out the table's host groups, as the previous design did.
const instance_info* decide(
    const model_registry& registry,
    const std::string& model,
    const load_tracker& load,
    const backoff_list& backoff,
    bool by_host
) {
    // A table built without a tracker has no host slots: pick() then looks loads up by id.
    auto table = registry.snapshot();
    auto resolved = resolve(*table, model, endpoint::chat_completions, false);
    if (!resolved) return nullptr;
    std::vector<std::string> tried;
    auto now = std::chrono::steady_clock::now();
    auto skip_tried = [&](const instance_info& i) {
        return std::find(tried.begin(), tried.end(), i.instance_id) != tried.end();
    };
    return pick(
        resolved->candidates,
        resolved->host_slots,
        by_host ? resolved->candidate_hosts : nullptr,
        load,
        *resolved->cursor,
        [&](const instance_info& i) {
            return skip_tried(i) || backoff.in_backoff(i.instance_id, now);
        }
    );
}

// Arg 0: aliases in the fleet (100: 20 instances each; 1: all 2000 behind one alias).
// Arg 1: 1 = half the hosts have a request in flight (the free-host rule has work to do);
// 2 = every host has one (no free host: pick() compares every candidate's load).
// Arg 2: 2 = the table holds its candidates' host load cells and host groups, as the
// refresher builds it; 1 = pick() reads every candidate's load through its cell, without
// the groups (the previous round's design); 0 = every load is looked up by host id (the one
// before). 1 and 0 are kept for the side-by-side ratios.
void BM_route_decision(benchmark::State& state) {
    int aliases = static_cast<int>(state.range(0));
    auto all = fleet(aliases);
    model_registry registry;
    auto& load = registry.load();
    bool with_slots = state.range(2) >= 1;
    bool by_host = state.range(2) == 2;
    registry.publish(std::make_shared<const routing_table>(all, with_slots ? &load : nullptr));
    std::vector<load_tracker::lease> busy;
    if (state.range(1) >= 1) {
        for (const auto& i : all) {
            bool busy_host = state.range(1) == 2 || std::stoi(i.host_id.substr(5)) % 2 == 0;
            if (busy_host) busy.push_back(load.acquire(i));
        }
    }
    backoff_list backoff;
    backoff.mark_failed(
        all[1].instance_id, std::chrono::steady_clock::now(), std::chrono::hours(1)
    );
    std::string model = alias_of(0, 0, aliases);
    for (auto _ : state) {
        benchmark::DoNotOptimize(decide(registry, model, load, backoff, by_host));
    }
    state.counters["candidates"] =
        static_cast<double>(registry.snapshot()->find_alias(model)->size());
}
BENCHMARK(BM_route_decision)
    ->Args({100, 0, 2})
    ->Args({100, 1, 2})
    ->Args({100, 2, 2})
    ->Args({1, 0, 2})
    ->Args({1, 1, 2})
    ->Args({1, 2, 2})
    ->Args({1, 2, 1})
    ->Args({1, 1, 0})
    ->Args({1, 2, 0});

// The per-request load bookkeeping around the decision: acquire a lease, give it back.
void BM_lease(benchmark::State& state) {
    auto all = fleet(100);
    load_tracker load;
    for (const auto& i : all) load.acquire(i).release();  // entries exist, as in steady state
    std::size_t n = 0;
    for (auto _ : state) {
        auto lease = load.acquire(all[n++ % all.size()]);
        benchmark::DoNotOptimize(lease.active());
    }
}
BENCHMARK(BM_lease);

// A host's GET /instances body with 20 instances, as solar-host answers it.
std::string host_body(int h) {
    nlohmann::json list = nlohmann::json::array();
    for (int i = 0; i < per_host; ++i) {
        list.push_back(
            {{"id", "host-" + std::to_string(h) + "-inst-" + std::to_string(i)},
             {"config",
              {{"backend_type", "llamacpp"},
               {"alias", alias_of(h, i, 100)},
               {"model", "/models/m.gguf"},
               {"api_key", "instance-key"},
               {"port", 3500 + i},
               {"threads", 4},
               {"ctx_size", 8192}}},
             {"status", "running"},
             {"port", 3500 + i},
             {"pid", 1000 + i},
             {"endpoints", {"/v1/chat/completions", "/v1/completions"}},
             {"parameter_count", 8e9}}
        );
    }
    return list.dump();
}

// The CPU part of one refresh of 100 hosts: parse every body, build and publish the table
// (the network round trips and the SQLite status writes are measured end to end by run.sh).
void BM_refresh_parse_and_build(benchmark::State& state) {
    std::vector<std::string> bodies;
    for (int h = 0; h < hosts; ++h) bodies.push_back(host_body(h));
    model_registry registry;
    for (auto _ : state) {
        std::vector<instance_info> all;
        for (int h = 0; h < hosts; ++h) {
            auto json = nlohmann::json::parse(bodies[h]);
            host_ref host{"host-" + std::to_string(h), "gpu", "http://10.0.0.1:8001"};
            auto parsed = parse_host_instances(json, host);
            for (auto& i : *parsed) all.push_back(std::move(i));
        }
        registry.publish(std::make_shared<const routing_table>(std::move(all), &registry.load()));
    }
    state.SetItemsProcessed(state.iterations() * hosts * per_host);
}
BENCHMARK(BM_refresh_parse_and_build)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
