// Performs supervision_policy's actions for one child: spawn, pipes, probes, signals, timers.
#include <solar/core/blocking.hpp>
#include <solar/core/logging.hpp>
#include <solar/host/child_spawner.hpp>
#include <solar/host/instance_supervisor.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http.hpp>

#include <array>
#include <csignal>
#include <iterator>

namespace solar::host {

namespace {

namespace beast = core::beast;
namespace http = core::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

constexpr std::size_t tail_lines = 20;        // kept for error messages
constexpr std::size_t tail_line_chars = 512;  // each kept line is cut to this
constexpr auto drain_deadline = 2s;           // wait for the pipes' EOF after an exit
constexpr auto kill_wait = 5s;                // after SIGKILL, how long stop() waits

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch()
    )
        .count();
}

clock_time steady_now() { return std::chrono::steady_clock::now(); }

}  // namespace

std::shared_ptr<instance_supervisor> instance_supervisor::create(
    asio::any_io_executor executor,
    asio::thread_pool& blocking,
    child_reaper& reaper,
    instance_spec spec,
    supervisor_callbacks callbacks
) {
    return std::shared_ptr<instance_supervisor>(new instance_supervisor(
        std::move(executor), blocking, reaper, std::move(spec), std::move(callbacks)
    ));
}

instance_supervisor::instance_supervisor(
    asio::any_io_executor executor,
    asio::thread_pool& blocking,
    child_reaper& reaper,
    instance_spec spec,
    supervisor_callbacks callbacks
)
    : strand_(asio::make_strand(std::move(executor))),
      blocking_(blocking),
      reaper_(reaper),
      spec_(std::move(spec)),
      callbacks_(std::move(callbacks)),
      policy_(spec_.policy),
      log_(core::component_logger("supervisor")),
      timer_(strand_) {}

void instance_supervisor::start() {
    asio::post(strand_, [self = shared_from_this()] {
        self->apply(self->policy_.on_start_requested(steady_now()));
    });
}

void instance_supervisor::restart() {
    asio::post(strand_, [self = shared_from_this()] {
        self->apply(self->policy_.on_restart_requested(steady_now()));
    });
}

asio::awaitable<void> instance_supervisor::stop() {
    auto self = shared_from_this();
    // A named awaitable: GCC 12 destroys temporaries of a co_await expression twice (PR 99576).
    auto stopped = asio::co_spawn(strand_, stop_on_strand(self), asio::use_awaitable);
    co_await std::move(stopped);
}

instance_snapshot instance_supervisor::snapshot() const {
    std::lock_guard lock(snapshot_mutex_);
    return snapshot_;
}

asio::awaitable<void> instance_supervisor::stop_on_strand(self_ptr /*self*/) {
    apply(policy_.on_stop_requested(steady_now()));
    auto deadline = steady_now() + spec_.policy.stop_grace + kill_wait;
    bool stopped = co_await wait_until(
        [this] { return policy_.status() != instance_status::stopping; }, deadline
    );
    if (!stopped) log_->error("{}: still not gone after SIGKILL", spec_.argv.front());
}

void instance_supervisor::apply(const policy_actions& actions) {
    for (const auto& action : actions) perform(action);
    publish();
}

void instance_supervisor::perform(const policy_action& action) {
    auto log_errors = [log = log_](std::exception_ptr e) {
        if (!e) return;
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            log->error("supervisor task failed: {}", ex.what());
        }
    };
    switch (action.kind) {
        case action_kind::spawn:
            asio::co_spawn(strand_, spawn(shared_from_this()), log_errors);
            break;
        case action_kind::probe_health:
        case action_kind::schedule_retry:
        case action_kind::arm_stop_grace:
            arm_timer(action.delay, action.kind);
            break;
        case action_kind::send_sigterm:
            signal_group(SIGTERM);
            break;
        case action_kind::send_sigkill:
            log_->warn(
                "{}: not gone after {}, SIGKILL",
                spec_.argv.front(),
                describe_duration(spec_.policy.stop_grace)
            );
            signal_group(SIGKILL);
            break;
        case action_kind::cancel_timer:
            ++timer_generation_;
            timer_.cancel();
            break;
        case action_kind::mark_failed:
            log_->warn("{}: {}", spec_.argv.front(), action.message);
            break;
    }
}

void instance_supervisor::arm_timer(std::chrono::milliseconds delay, action_kind purpose) {
    auto generation = ++timer_generation_;
    timer_.expires_after(delay);
    timer_.async_wait([self = shared_from_this(), generation, purpose](boost::system::error_code ec
                      ) {
        if (ec || generation != self->timer_generation_) return;
        self->timer_fired(purpose);
    });
}

void instance_supervisor::timer_fired(action_kind purpose) {
    switch (purpose) {
        case action_kind::probe_health:
            asio::co_spawn(strand_, probe(shared_from_this(), policy_.pid()), asio::detached);
            break;
        case action_kind::schedule_retry:
            apply(policy_.on_retry_due(steady_now()));
            break;
        case action_kind::arm_stop_grace:
            apply(policy_.on_stop_grace_elapsed(steady_now()));
            break;
        default:
            break;
    }
}

void instance_supervisor::signal_group(int sig) {
    // Only a child not yet reaped: a reaped pid may belong to someone else soon.
    if (child_pid_ > 0) ::kill(-child_pid_, sig);
}

void instance_supervisor::publish() {
    instance_snapshot next;
    next.status = std::string(to_string(policy_.status()));
    next.pid = policy_.pid();
    next.started_at = next.pid != 0 ? started_at_ : 0;
    next.restarts = policy_.restarts();
    next.retry_count = policy_.retry_count();
    next.error_message = policy_.error_message();
    next.last_exit = policy_.last_exit();
    {
        std::lock_guard lock(snapshot_mutex_);
        if (next == snapshot_) return;
        snapshot_ = next;
    }
    wake_waiters();
    if (callbacks_.on_state) callbacks_.on_state(next);
}

asio::awaitable<void> instance_supervisor::spawn(self_ptr self) {
    spawn_request request{spec_.argv, spec_.env_overrides};
    auto result =
        co_await core::run_blocking(blocking_, [&request] { return spawn_child(request); });
    if (!result) {
        auto reason = describe_spawn_error(request, result.error());
        apply(policy_.on_spawn_failed(std::move(reason), steady_now()));
        co_return;
    }
    auto& child = *result;
    auto attempt = ++attempt_;
    child_pid_ = child.pid;
    started_at_ = unix_now();
    tail_.clear();
    log_->info("{}: started, pid {}", spec_.argv.front(), child.pid);

    reaper_.watch(child.pid, [self, pid = child.pid, attempt](int status) {
        asio::co_spawn(
            self->strand_, self->child_exited(self, pid, attempt, status), asio::detached
        );
    });
    pipes_.clear();
    open_pipes_ = 2;
    auto out = std::make_shared<descriptor>(strand_, child.stdout_fd.release());
    auto err = std::make_shared<descriptor>(strand_, child.stderr_fd.release());
    pipes_ = {out, err};
    asio::co_spawn(strand_, read_pipe(self, out, "stdout", attempt), asio::detached);
    asio::co_spawn(strand_, read_pipe(self, err, "stderr", attempt), asio::detached);
    apply(policy_.on_spawned(child.pid, steady_now()));
}

asio::awaitable<void> instance_supervisor::read_pipe(
    self_ptr /*self*/, std::shared_ptr<descriptor> pipe, std::string stream, std::uint64_t attempt
) {
    std::array<char, 8192> buffer;
    std::string pending;
    for (;;) {
        auto [ec, n] = co_await pipe->async_read_some(asio::buffer(buffer), use_tuple);
        pending.append(buffer.data(), n);
        std::size_t begin = 0;
        for (auto end = pending.find('\n'); end != std::string::npos;
             end = pending.find('\n', begin)) {
            std::string_view line(pending.data() + begin, end - begin);
            for (; line.size() > max_line; line.remove_prefix(max_line)) {
                deliver_line(stream, line.substr(0, max_line));
            }
            deliver_line(stream, line);
            begin = end + 1;
        }
        pending.erase(0, begin);
        while (pending.size() > max_line) {
            deliver_line(stream, std::string_view(pending).substr(0, max_line));
            pending.erase(0, max_line);
        }
        if (ec) break;  // EOF (every writer gone), or closed after the drain deadline
    }
    if (!pending.empty()) deliver_line(stream, pending);
    if (attempt == attempt_) {
        --open_pipes_;
        wake_waiters();
    }
}

void instance_supervisor::deliver_line(std::string_view stream, std::string_view line) {
    tail_.emplace_back(line.substr(0, tail_line_chars));
    if (tail_.size() > tail_lines) tail_.pop_front();
    if (callbacks_.on_line) callbacks_.on_line(stream, line);
}

asio::awaitable<void> instance_supervisor::probe(self_ptr /*self*/, int pid) {
    bool ready = co_await health_ok();
    if (pid == 0 || pid != policy_.pid()) co_return;  // that child is gone
    apply(
        ready ? policy_.on_health_ok(pid, steady_now())
              : policy_.on_health_not_yet(pid, steady_now())
    );
}

asio::awaitable<bool> instance_supervisor::health_ok() {
    beast::tcp_stream stream(strand_);
    stream.expires_after(spec_.probe_timeout);
    tcp::endpoint endpoint(asio::ip::address_v4::loopback(), spec_.port);
    auto [connect_ec] = co_await stream.async_connect(endpoint, use_tuple);
    if (connect_ec) co_return false;  // not listening yet: refused
    http::request<http::empty_body> req{http::verb::get, spec_.health_path, 11};
    req.set(http::field::host, "127.0.0.1:" + std::to_string(spec_.port));
    req.set(http::field::connection, "close");
    auto [write_ec, written] = co_await http::async_write(stream, req, use_tuple);
    if (write_ec) co_return false;
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024);
    auto [read_ec, read] = co_await http::async_read(stream, buffer, parser, use_tuple);
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    co_return !read_ec && parser.get().result_int() == 200;
}

asio::awaitable<void> instance_supervisor::child_exited(
    self_ptr /*self*/, int pid, std::uint64_t attempt, int status
) {
    if (pid == child_pid_) child_pid_ = 0;
    started_at_ = 0;
    // Grandchildren left in the group would keep the port and the pipes.
    ::kill(-pid, SIGKILL);
    auto description = describe_exit_status(status);
    log_->info("{}: pid {} {}", spec_.argv.front(), pid, description);
    // Read what the child wrote before it died, so that the error message shows its last lines.
    bool drained = co_await wait_until(
        [this, attempt] { return open_pipes_ == 0 || attempt_ != attempt; },
        steady_now() + drain_deadline
    );
    if (!drained && attempt_ == attempt) {
        // Someone outside the group holds the pipes open; stop reading them.
        for (auto& pipe : pipes_) {
            boost::system::error_code ignored;
            pipe->close(ignored);
        }
    }
    std::vector<std::string> tail(tail_.begin(), tail_.end());
    apply(policy_.on_exited(pid, std::move(description), tail, steady_now()));
}

template <typename Predicate>
asio::awaitable<bool> instance_supervisor::wait_until(
    Predicate done, std::chrono::steady_clock::time_point deadline
) {
    while (!done()) {
        if (steady_now() >= deadline) co_return false;
        asio::steady_timer timer(strand_, deadline);
        auto it = waiters_.insert(waiters_.end(), &timer);
        co_await timer.async_wait(use_tuple);
        waiters_.erase(it);
    }
    co_return true;
}

void instance_supervisor::wake_waiters() {
    for (auto* timer : waiters_) timer->cancel();
}

asio::awaitable<void> stop_all(std::span<const std::shared_ptr<instance_supervisor>> supervisors) {
    if (supervisors.empty()) co_return;
    auto executor = co_await asio::this_coro::executor;
    using stop_op = decltype(asio::co_spawn(executor, supervisors.front()->stop(), asio::deferred));
    std::vector<stop_op> ops;
    ops.reserve(supervisors.size());
    for (const auto& supervisor : supervisors) {
        ops.push_back(asio::co_spawn(executor, supervisor->stop(), asio::deferred));
    }
    // Each stop() has its own deadline, so waiting for all of them is bounded too.
    auto group = asio::experimental::make_parallel_group(std::move(ops));
    auto waited = group.async_wait(asio::experimental::wait_for_all(), asio::use_awaitable);
    co_await std::move(waited);
}

}  // namespace solar::host
