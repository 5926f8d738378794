// Hub downloads: the revision API, then each file through /resolve/ with redirects followed,
// streamed to a temporary blob, renamed into place and linked from the snapshot.
#include <solar/core/atomic_file.hpp>
#include <solar/core/random.hpp>
#include <solar/core/upstream.hpp>
#include <solar/runner/hub_download.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <memory>
#include <set>

namespace solar::runner {

namespace fs = std::filesystem;
namespace asio = boost::asio;
namespace http = boost::beast::http;

repo_plan plan_repo_files(const std::vector<std::string>& siblings) {
    std::set<std::string> have(siblings.begin(), siblings.end());
    repo_plan plan;
    for (const char* required : {"config.json", "tokenizer.json"}) {
        if (!have.count(required)) {
            throw hub_error(
                std::string("the repository has no ") + required +
                (std::string_view(required) == "tokenizer.json"
                     ? " (only fast tokenizers are supported)"
                     : "")
            );
        }
        plan.files.emplace_back(required);
    }
    for (const char* optional : {"tokenizer_config.json", "special_tokens_map.json"}) {
        if (have.count(optional)) plan.files.emplace_back(optional);
    }
    if (have.count("model.safetensors")) {
        plan.files.emplace_back("model.safetensors");
    } else if (have.count("model.safetensors.index.json")) {
        plan.files.emplace_back("model.safetensors.index.json");
        plan.sharded = true;
    } else {
        throw hub_error(
            "the repository has no model.safetensors or model.safetensors.index.json "
            "(PyTorch .bin weights are not supported)"
        );
    }
    return plan;
}

std::vector<std::string> index_shards(std::string_view index_json) {
    auto index = nlohmann::json::parse(index_json, nullptr, false);
    if (index.is_discarded() || !index.is_object() || !index.contains("weight_map") ||
        !index["weight_map"].is_object()) {
        throw hub_error("model.safetensors.index.json has no weight_map");
    }
    std::set<std::string> shards;
    for (const auto& [tensor, shard] : index["weight_map"].items()) {
        if (!shard.is_string()) throw hub_error("model.safetensors.index.json: bad weight_map");
        auto name = shard.get<std::string>();
        if (name.empty() || name.front() == '/' || name.find("..") != std::string::npos) {
            throw hub_error("model.safetensors.index.json names an unsafe path: " + name);
        }
        shards.insert(name);
    }
    if (shards.empty()) throw hub_error("model.safetensors.index.json names no shards");
    return {shards.begin(), shards.end()};
}

split_url resolve_location(std::string_view location, std::string_view base_origin) {
    if (location.starts_with("/")) return {std::string(base_origin), std::string(location)};
    auto scheme_end = location.find("://");
    if (scheme_end == std::string_view::npos) {
        throw hub_error("cannot follow redirect to '" + std::string(location) + "'");
    }
    auto path_at = location.find_first_of("/?", scheme_end + 3);
    split_url out;
    out.origin = std::string(location.substr(0, path_at));
    out.target = path_at == std::string_view::npos ? "/" : std::string(location.substr(path_at));
    if (out.target.front() == '?') out.target = "/" + out.target;
    return out;
}

std::string normalize_etag(std::string_view etag) {
    if (etag.starts_with("W/")) etag.remove_prefix(2);
    if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
        etag = etag.substr(1, etag.size() - 2);
    }
    return std::string(etag);
}

bool progress_steps::should_report(std::uint64_t done) {
    if (finished_) return false;
    std::uint64_t step = total_ ? std::max<std::uint64_t>(total_ / 10, 1) : 64ull << 20;
    if (!started_) {
        started_ = true;
        next_ = step;
        return true;
    }
    if (total_ && done >= total_) {
        finished_ = true;
        return true;
    }
    if (done >= next_) {
        while (next_ <= done) next_ += step;
        return true;
    }
    return false;
}

namespace {

constexpr int max_redirects = 10;
const core::upstream_timeouts timeouts{
    std::chrono::seconds(15), std::chrono::seconds(120), std::chrono::seconds(120)};

// Receives the body of the final (non-redirect) response.
struct body_sink {
    virtual ~body_sink() = default;
    virtual void start(unsigned status, const http::fields& headers) = 0;
    virtual void write(const char* data, std::size_t n) = 0;
};

struct string_sink final : body_sink {
    unsigned status = 0;
    std::string body;
    void start(unsigned s, const http::fields&) override { status = s; }
    void write(const char* data, std::size_t n) override {
        if (body.size() + n > (64u << 20)) throw hub_error("hub API response too large");
        body.append(data, n);
    }
};

bool is_redirect(unsigned status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

std::string origin_of(std::string_view endpoint) { return resolve_location(endpoint, "").origin; }

// GETs origin+target, following redirects; the token goes to the endpoint's origin only.
// `first_headers` gets the headers of the first response (the hub's, before any CDN hop).
asio::awaitable<void> get(
    core::upstream_pool& pool,
    const hub_settings& settings,
    const split_url& start,
    body_sink& sink,
    http::fields* first_headers
) {
    split_url url = start;  // by reference in: no temporary in the caller's co_await (PR 99576)
    const std::string hub_origin = origin_of(settings.endpoint);
    for (int hop = 0;; ++hop) {
        auto base = core::parse_base_url(url.origin);
        if (!base) throw hub_error("bad hub URL " + url.origin);
        core::upstream_target target{*base, {}};
        auto acquired = co_await pool.acquire(target, timeouts.connect);
        if (!acquired) {
            throw hub_error("cannot connect to " + url.origin + ": " + acquired.error().message());
        }
        auto connection = std::move(*acquired);
        core::request req{http::verb::get, url.target, 11};
        req.set(http::field::host, base->authority());
        req.set(http::field::user_agent, "solar-hf-runner/" SOLAR_VERSION);
        req.set(http::field::accept_encoding, "identity");
        if (!settings.token.empty() && url.origin == hub_origin) {
            req.set(http::field::authorization, "Bearer " + settings.token);
        }
        req.keep_alive(true);
        req.prepare_payload();
        auto ec = co_await connection->write(req, timeouts.connect + timeouts.idle);
        if (ec) throw hub_error("GET " + url.origin + url.target + ": " + ec.message());
        core::upstream_parser parser;
        parser.body_limit(boost::none);
        ec = co_await connection->read_header(parser, timeouts.first_byte);
        if (ec) throw hub_error("GET " + url.origin + url.target + ": " + ec.message());
        unsigned status = parser.get().result_int();
        if (hop == 0 && first_headers) *first_headers = parser.get().base();
        bool redirect = is_redirect(status);
        if (!redirect) sink.start(status, parser.get().base());
        std::array<char, 65536> chunk;
        while (!parser.is_done()) {
            auto [rec, n] = co_await connection->read_body_some(parser, chunk, timeouts.idle);
            if (rec) throw hub_error("GET " + url.origin + url.target + ": " + rec.message());
            if (!redirect && n) sink.write(chunk.data(), n);
        }
        if (parser.keep_alive()) {
            pool.release(std::move(connection));
        } else {
            connection->close();
        }
        if (!redirect) co_return;
        if (hop >= max_redirects) throw hub_error("too many redirects from " + settings.endpoint);
        auto location = parser.get()[http::field::location];
        if (location.empty()) throw hub_error("redirect without Location from " + url.origin);
        url = resolve_location(location, url.origin);
    }
}

std::string describe_status(unsigned status, const std::string& what) {
    switch (status) {
        case 401:
            return what + ": 401 Unauthorized (set HF_TOKEN for gated or private models)";
        case 403:
            return what + ": 403 Forbidden (the token has no access to this model)";
        case 404:
            return what + ": 404 Not Found";
        default:
            return what + ": HTTP " + std::to_string(status);
    }
}

// Streams a file's body into a temporary blob, hashing it.
struct file_sink final : body_sink {
    file_sink(fs::path temp, std::string name, spdlog::logger& log)
        : temp(std::move(temp)),
          name(std::move(name)),
          log(log),
          hash(EVP_MD_CTX_new(), EVP_MD_CTX_free) {
        EVP_DigestInit_ex(hash.get(), EVP_sha256(), nullptr);
    }
    void start(unsigned s, const http::fields& headers) override {
        status = s;
        if (status != 200) return;
        if (auto it = headers.find(http::field::content_length); it != headers.end()) {
            total = std::strtoull(std::string(it->value()).c_str(), nullptr, 10);
        }
        out.open(temp, std::ios::binary | std::ios::trunc);
        if (!out) throw hub_error("cannot write " + temp.string());
        steps.emplace(total);
        report();
    }
    void write(const char* data, std::size_t n) override {
        if (status != 200) return;
        out.write(data, static_cast<std::streamsize>(n));
        if (!out) throw hub_error("cannot write " + temp.string() + " (disk full?)");
        EVP_DigestUpdate(hash.get(), data, n);
        done += n;
        report();
    }
    void report() {
        if (!steps || !steps->should_report(done)) return;
        if (total) {
            log.info("downloading {}: {} / {} bytes ({}%)", name, done, total, done * 100 / total);
        } else {
            log.info("downloading {}: {} bytes", name, done);
        }
    }
    std::string sha256() {
        std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
        unsigned int size = 0;
        EVP_DigestFinal_ex(hash.get(), digest.data(), &size);
        return core::to_hex(std::span<const unsigned char>(digest.data(), size));
    }

    fs::path temp;
    std::string name;
    spdlog::logger& log;
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> hash{nullptr, EVP_MD_CTX_free};
    std::ofstream out;
    unsigned status = 0;
    std::uint64_t total = 0;
    std::uint64_t done = 0;
    std::optional<progress_steps> steps;
};

// Points snapshots/<sha>/<file> at blobs/<name> with a relative link (as huggingface_hub does),
// or copies the blob where links are not possible.
void link_into_snapshot(const fs::path& blob, const fs::path& link) {
    fs::create_directories(link.parent_path());
    std::error_code ec;
    fs::remove(link, ec);
    fs::create_symlink(fs::relative(blob, link.parent_path()), link, ec);
    if (ec) fs::copy_file(blob, link, fs::copy_options::overwrite_existing);
}

struct download_job {
    core::upstream_pool& pool;
    const hub_settings& settings;
    const std::string& model_id;
    spdlog::logger& log;
    fs::path repo;

    asio::awaitable<fs::path> run() {
        string_sink api;
        split_url api_url = resolve_location(settings.endpoint, "");
        api_url.target = (api_url.target == "/" ? "" : api_url.target) + "/api/models/" + model_id +
                         "/revision/main";
        co_await get(pool, settings, api_url, api, nullptr);
        if (api.status != 200) throw hub_error(describe_status(api.status, "model " + model_id));
        auto info = nlohmann::json::parse(api.body, nullptr, false);
        if (info.is_discarded() || !info.contains("sha") || !info["sha"].is_string()) {
            throw hub_error("the hub's answer for " + model_id + " has no revision sha");
        }
        std::string sha = info["sha"].get<std::string>();
        std::vector<std::string> siblings;
        for (const auto& s : info.value("siblings", nlohmann::json::array())) {
            if (s.contains("rfilename") && s["rfilename"].is_string()) {
                siblings.push_back(s["rfilename"].get<std::string>());
            }
        }
        auto plan = plan_repo_files(siblings);
        fs::path snapshot = repo / "snapshots" / sha;
        fs::create_directories(repo / "blobs");
        fs::create_directories(snapshot);
        fs::create_directories(repo / "refs");
        log.info("model {} revision {}: {} file(s) to check", model_id, sha, plan.files.size());
        for (const auto& file : plan.files) co_await fetch_file(sha, file, snapshot);
        if (plan.sharded) {
            std::ifstream in(snapshot / "model.safetensors.index.json", std::ios::binary);
            std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
            for (const auto& shard : index_shards(text)) co_await fetch_file(sha, shard, snapshot);
        }
        core::write_file_atomically(repo / "refs" / "main", sha, 0644);
        co_return snapshot;
    }

    asio::awaitable<void> fetch_file(
        const std::string& sha, const std::string& file, const fs::path& snapshot
    ) {
        fs::path link = snapshot / file;
        std::error_code ec;
        if (fs::is_regular_file(link, ec)) co_return;  // already there (follows the link)
        std::array<unsigned char, 8> nonce{};
        core::random_bytes(nonce);
        fs::path temp = repo / "blobs" / (core::to_hex(nonce) + ".incomplete");
        file_sink sink(temp, file, log);
        split_url url = resolve_location(settings.endpoint, "");
        url.target =
            (url.target == "/" ? "" : url.target) + "/" + model_id + "/resolve/" + sha + "/" + file;
        http::fields first;
        try {
            co_await get(pool, settings, url, sink, &first);
        } catch (...) {
            sink.out.close();
            fs::remove(temp, ec);
            throw;
        }
        if (sink.status != 200) {
            sink.out.close();
            fs::remove(temp, ec);
            throw hub_error(describe_status(sink.status, file + " of " + model_id));
        }
        sink.out.close();
        if (!sink.out) throw hub_error("cannot write " + temp.string());
        if (sink.total && sink.done != sink.total) {
            fs::remove(temp, ec);
            throw hub_error(
                file + ": got " + std::to_string(sink.done) + " of " + std::to_string(sink.total) +
                " bytes"
            );
        }
        std::string etag = normalize_etag(first["X-Linked-Etag"]);
        if (etag.empty()) etag = normalize_etag(first[http::field::etag]);
        if (etag.empty() || etag.find('/') != std::string::npos) etag = sink.sha256();
        fs::path blob = repo / "blobs" / etag;
        fs::rename(temp, blob);
        link_into_snapshot(blob, link);
        log.info("downloaded {} ({} bytes)", file, sink.done);
    }
};

}  // namespace

fs::path download_model(
    const std::string& model_id, const hub_settings& settings, spdlog::logger& log
) {
    if (settings.offline) {
        throw hub_error("model " + model_id + " is not in the cache and HF_HUB_OFFLINE is set");
    }
    if (!is_hub_id(model_id)) throw hub_error("'" + model_id + "' is not a hub id");
    asio::io_context ioc;
    core::upstream_pool pool{ioc.get_executor()};
    download_job job{pool, settings, model_id, log, repo_cache_dir(settings.cache_dir, model_id)};
    std::exception_ptr failure;
    fs::path result;
    asio::co_spawn(ioc, job.run(), [&](std::exception_ptr e, fs::path dir) {
        failure = e;
        result = std::move(dir);
    });
    ioc.run();
    if (failure) std::rethrow_exception(failure);
    return result;
}

}  // namespace solar::runner
