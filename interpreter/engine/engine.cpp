// The run loop: one transaction per step. Before a step runs, the engine checks that the
// process is still its own and the global lock; then it evaluates the step's conditions and
// runs the step's code with a context that reads the state by the manifest, without the store's
// write lock: the step's writes (its SQL, a subscription it creates, a process link) wait until
// the step's transaction opens. That transaction, which checks again that the process is still
// this program's, holds the step's writes, the subscriptions it returns, the step row and the
// process row. A step that throws writes nothing; its failure is then recorded in a transaction
// of its own.
#include "interpreter/engine/engine.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <thread>
#include <type_traits>

#include <fmt/format.h>

#include "grammar/numbers.hpp"
#include "interpreter/domain/domain.hpp"
#include "interpreter/util/util.hpp"

namespace wfrun {

// The most failures `fail*N` may count; a fault's delay is at most max_duration_ms.
constexpr std::int64_t max_fault_failures = 1'000'000;

fault_plan parse_faults(std::string_view spec) {
    fault_plan out;
    std::size_t start = 0;
    while (start <= spec.size()) {
        auto end = spec.find(',', start);
        auto item = spec.substr(start, end == std::string_view::npos ? spec.npos : end - start);
        start = end == std::string_view::npos ? spec.size() + 1 : end + 1;
        if (item.empty()) continue;
        auto eq = item.find('=');
        if (eq == std::string_view::npos || eq == 0)
            throw std::invalid_argument(
                fmt::format("fault '{}': expected STEP=fail|fail*N|crash|delay:DURATION", item));
        auto name = std::string(item.substr(0, eq));
        auto what = item.substr(eq + 1);
        fault f;
        if (what == "fail") {
        } else if (what.substr(0, 5) == "fail*") {
            auto n = what.substr(5);
            auto count = n.find_first_not_of("0123456789") == std::string_view::npos
                             ? parse_int64(n)
                             : std::nullopt;
            if (!count || *count < 1 || *count > max_fault_failures)
                throw std::invalid_argument(
                    fmt::format("fault '{}': fail*N takes a whole number N from 1 to {}, not '{}'",
                                item, max_fault_failures, n));
            f.remaining = static_cast<int>(*count);
        } else if (what == "crash") {
            f.k = fault::kind::crash;
        } else if (what.substr(0, 6) == "delay:") {
            f.k = fault::kind::delay;
            auto d = what.substr(6);
            auto ms = duration_to_ms(d);
            if (!ms || *ms > max_duration_ms)
                throw std::invalid_argument(fmt::format(
                    "fault '{}': delay takes a duration such as 500ms, 5s, 2m or 1h, at most "
                    "365 days, not '{}'",
                    item, d));
            f.delay_ms = *ms;
        } else {
            throw std::invalid_argument(
                fmt::format("fault '{}': expected fail, fail*N, crash or delay:DURATION", item));
        }
        out[name] = f;
    }
    return out;
}

namespace {

std::string subscription_id_of(const json& v) {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_object())
        if (auto it = v.find("subscription_id"); it != v.end() && it->is_string())
            return it->get<std::string>();
    return {};
}

// A step's SQL: statements wait in `writes` until the step's transaction opens; a query reads
// the database as committed, unless the step wrote before it: then the transaction opens first
// (`open`), so that the query sees the step's own writes. From then on the step holds the write
// lock.
class deferred_sql final : public sql_session {
  public:
    deferred_sql(store& st, deferred_writes& writes, const std::function<void()>& open)
        : store_(st), writes_(writes), open_(open) {}

    void exec(std::string_view sql, const std::vector<json>& params) override {
        writes_.add([sql = std::string(sql), params](store& s) { s.sql().exec(sql, params); });
    }
    std::vector<json> query(std::string_view sql, const std::vector<json>& params) override {
        if (writes_.pending()) open_();
        return store_.sql().query(sql, params);
    }

  private:
    store& store_;
    deferred_writes& writes_;
    const std::function<void()>& open_;
};

// Thrown out of a step's code when its transaction would open but the process is no longer this
// program's: the step is abandoned, nothing of it is written.
struct step_abandoned {};

// What a step sees: the state through its manifest, its arguments, the domain and its SQL.
class context final : public step_context {
  public:
    context(const json& state, const planned_step& s, const std::string& pid, store& st,
            domain_access& domain, sql_session& sql)
        : state_(state), step_(s), pid_(pid), store_(st), domain_(domain), sql_(sql) {}

    const json& state() const override { return state_; }

    const json& get(std::string_view key) override {
        const key_spec* spec = nullptr;
        for (const auto& k : step_.entry->manifest.reads)
            if (k.name == key) spec = &k;
        if (!spec)
            throw step_error("ManifestError",
                             fmt::format("step '{}' reads '{}', which its manifest does not list",
                                         step_.name, key));
        auto it = state_.find(key);
        if (it == state_.end() || it->is_null()) {
            if (spec->optional) return null_;
            throw key_error(fmt::format("Could not find key '{}' in state.", key));
        }
        if (spec->type != value_type::subscription) return *it;
        if (auto cached = loaded_.find(spec->name); cached != loaded_.end()) return cached->second;
        auto id = subscription_id_of(*it);
        if (id.empty()) throw key_error(fmt::format("Could not find key '{}' in state.", key));
        return loaded_.emplace(spec->name, domain_.load(id)).first->second;
    }

    const json& param(std::string_view name) const override {
        auto it = step_.args.find(name);
        return it == step_.args.end() ? null_ : *it;
    }

    std::string_view process_id() const override { return pid_; }
    subscriptions& domain() override { return domain_; }
    sql_session& db() override { return sql_; }

  private:
    const json& state_;
    const planned_step& step_;
    const std::string& pid_;
    store& store_;
    domain_access& domain_;
    sql_session& sql_;
    std::map<std::string, json, std::less<>> loaded_;
    inline static const json null_ = nullptr;
};

// Merges a step's result into the state: top-level keys replace, `__remove_keys` deletes.
// Keys the manifest declares as subscriptions are saved, and the state holds them as stored.
void merge_result(const planned_step& s, json& state, json&& result, store& st) {
    if (result.is_null()) return;
    if (!result.is_object())
        throw step_error("ManifestError", fmt::format("step '{}' returned {}, not an object",
                                                      s.name, result.type_name()));
    const auto& writes = s.entry->manifest.writes;
    json remove;
    for (auto& [key, value] : result.items()) {
        if (key == "__remove_keys") {
            remove = std::move(value);
            continue;
        }
        const key_spec* spec = nullptr;
        for (const auto& w : writes)
            if (w.name == key) spec = &w;
        if (!spec)
            throw step_error(
                "ManifestError",
                fmt::format("step '{}' returned '{}', which its manifest does not list", s.name,
                            key));
        if (spec->type == value_type::subscription && value.is_object()) {
            st.save_subscription(value);
            auto saved = st.load_subscription(value.at("subscription_id").get<std::string>());
            state[key] = std::move(*saved);
        } else {
            state[key] = std::move(value);
        }
    }
    if (remove.is_array())
        for (const auto& k : remove)
            if (k.is_string()) state.erase(k.get<std::string>());
}

std::string default_owner() {
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    return fmt::format("{}:{}", host, getpid());
}

std::string this_host() {
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    return host;
}

using clock = std::chrono::system_clock;

// The time of a timestamp written by now_iso(); nullopt when it is not one.
std::optional<clock::time_point> parse_iso(const std::string& text) {
    std::tm tm{};
    int micros = 0;
    if (std::sscanf(text.c_str(), "%d-%d-%dT%d:%d:%d.%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                    &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &micros) < 6)
        return std::nullopt;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return clock::from_time_t(timegm(&tm)) + std::chrono::microseconds(micros);
}

// Resume input is deep-merged into the state (objects recursively, anything else replaced),
// unlike a step's result, which is merged shallowly.
void deep_merge(json& target, const json& input) {
    for (const auto& [k, v] : input.items()) {
        auto it = target.find(k);
        if (it != target.end() && it->is_object() && v.is_object())
            deep_merge(*it, v);
        else
            target[k] = v;
    }
}

// Runs `body` in a store transaction: committed when it returns, rolled back when it throws.
template <class F>
auto in_transaction(store& st, F&& body) {
    st.begin();
    try {
        if constexpr (std::is_void_v<decltype(body())>) {
            body();
            st.commit();
        } else {
            auto out = body();
            st.commit();
            return out;
        }
    } catch (...) {
        st.rollback();
        throw;
    }
}

// A new step row of process `pid`, completed now; started at `started`, or now when empty.
step_row new_row(const std::string& pid, const std::string& name, const std::string& key,
                 step_status status, const std::string& reporter, json state,
                 std::string started = {}) {
    step_row row;
    row.step_id = new_uuid();
    row.process_id = pid;
    row.name = name;
    row.step_key = key;
    row.status = status;
    row.created_by = reporter;
    row.completed_at = now_iso();
    row.started_at = started.empty() ? row.completed_at : std::move(started);
    row.state = std::move(state);
    return row;
}

// The `User Aborted` / `Abort` row that ends a process with its last good state.
step_row abort_row(const std::string& pid, const std::string& name, const std::string& key,
                   const std::string& reporter, json state) {
    return new_row(pid, name, key, step_status::abort, reporter, std::move(state));
}

}  // namespace

std::string_view to_string(engine_status s) {
    switch (s) {
        case engine_status::running:
            return "RUNNING";
        case engine_status::pausing:
            return "PAUSING";
        case engine_status::paused:
            return "PAUSED";
    }
    return "RUNNING";
}

engine::engine(store& s, const catalog& c, const registry& r, engine_options options)
    : store_(s), catalog_(c), registry_(r), options_(std::move(options)) {
    if (options_.owner.empty()) options_.owner = default_owner();
}

const workflow_plan* engine::plan_of(const process_row& p) const {
    return catalog_.plan(p.workflow_name);
}

process_row engine::start(const workflow_plan& plan, const json& form_state,
                          const step_observer& observe, admission a) {
    process_row p;
    p.process_id = new_uuid();
    p.workflow_name = plan.def.name;
    p.target = plan.def.target;
    p.last_status =
        process_status::running;  // created and taken in one go: a crash leaves an orphan
    p.started_at = p.last_modified_at = p.heartbeat_at = now_iso();
    p.created_by = options_.reporter;
    p.is_task = plan.def.is_task;
    p.definition = plan.definition;
    p.owner = options_.owner;

    // The form's result under the initial keys: the initial keys win.
    json initial = {{"process_id", p.process_id},
                    {"reporter", options_.reporter},
                    {"workflow_name", plan.def.name},
                    {"workflow_target", to_string(plan.def.target)}};
    json state = form_state.is_object() ? form_state : json::object();
    for (auto& [k, v] : initial.items()) state[k] = v;

    std::string subscription_id;
    if (plan.def.target != workflow_target::create)
        if (auto it = state.find("subscription_id"); it != state.end() && it->is_string())
            subscription_id = it->get<std::string>();

    in_transaction(store_, [&] {
        if (store_.global_lock()) throw refusal(engine_locked_message);
        if (a == admission::check && !subscription_id.empty()) {
            // The same check as the form's, again under the subscription's lock: between the two
            // another program may have claimed the subscription, and until this transaction ends
            // no other admission or set-in-sync on it can read it (subscription_store.hpp).
            store_.lock_subscription(subscription_id);
            auto reason = admission_refusal(store_, plan.def, subscription_id);
            if (reason) throw refusal("This workflow cannot be started: " + *reason);
        }
        store_.insert_process(p);
        p.epoch = 1;  // the creator holds a new process
        store_.insert_input_state(p.process_id, state, "initial_state");
        if (!subscription_id.empty() && store_.subscription(subscription_id))
            store_.link_process_subscription(p.process_id, subscription_id, plan.def.target);
    });
    return run(std::move(p), recovery{std::move(state), 0, false}, observe);
}

engine::recovery engine::recover(const process_row& p) {
    recovery r;
    r.state = json::object();
    const auto* plan = plan_of(p);
    for (auto& row : store_.steps(p.process_id)) {
        const auto st = row.status;
        if (is_cleared(st)) {
            r.state = std::move(row.state);
            ++r.next;
            r.suspended = false;
        } else if (st == step_status::suspend) {
            r.state = std::move(row.state);
            r.suspended = true;
        } else {
            r.suspended = false;
        }
    }
    if (r.next == 0 && r.state.empty())
        if (auto initial = store_.last_input_state(p.process_id)) r.state = std::move(*initial);
    if (plan && r.next > plan->steps.size()) r.next = plan->steps.size();
    return r;
}

std::optional<std::string> engine::definition_mismatch(const process_row& p) {
    const auto* plan = plan_of(p);
    if (!plan) return fmt::format("The workflow '{}' is no longer in the catalog", p.workflow_name);
    if (!p.definition.empty() && p.definition == plan->definition) return std::nullopt;
    auto differs = [&](std::size_t i, const std::string& ran) {
        return fmt::format(
            "The workflow '{}' has changed since process {} started: its step {} was '{}', the "
            "workflow now has {} there. Resuming would continue at the wrong step; restore the "
            "workflow or abort the process",
            p.workflow_name, p.process_id, i + 1, ran,
            i < plan->steps.size() ? fmt::format("'{}'", plan->steps[i].key)
                                   : std::string("nothing"));
    };
    std::size_t i = 0;
    auto rows = store_.steps(p.process_id);
    for (std::size_t n = 0; n < rows.size(); ++n) {
        const auto& row = rows[n];
        bool last = n + 1 == rows.size();
        if (is_cleared(row.status)) {
            if (row.name == "User Aborted") continue;
            if (i >= plan->steps.size() ||
                (!row.step_key.empty() && row.step_key != plan->steps[i].key))
                return differs(i, row.step_key.empty() ? row.name : row.step_key);
            ++i;
        } else if (row.status == step_status::suspend && last) {
            // The form the process waits for must still be the one at this place.
            if (i >= plan->steps.size() || row.step_key != plan->steps[i].key)
                return differs(i, row.step_key);
        }
    }
    return std::nullopt;
}

bool engine::orphaned(const process_row& p) const {
    if (p.last_status != process_status::running) return false;
    if (p.owner.empty()) return true;
    if (p.owner == options_.owner) return false;
    auto colon = p.owner.rfind(':');
    if (colon != std::string::npos && p.owner.substr(0, colon) == this_host()) {
        // On this host the owner's pid decides at once, whatever its heartbeat says.
        try {
            auto pid = static_cast<pid_t>(std::stol(p.owner.substr(colon + 1)));
            return pid <= 0 || (::kill(pid, 0) != 0 && errno == ESRCH);
        } catch (const std::exception&) {
            return true;  // not an owner this program wrote
        }
    }
    // Elsewhere: the heartbeat decides.
    auto beat = parse_iso(p.heartbeat_at.empty() ? p.last_modified_at : p.heartbeat_at);
    return !beat || clock::now() - *beat > std::chrono::milliseconds(options_.heartbeat_timeout_ms);
}

// An early look, so that a step taken over meanwhile does not run at all; what makes a stale
// holder's step harmless is the fenced write at its end (update_claimed_process).
bool engine::still_ours(const process_row& p) {
    auto now = store_.process(p.process_id);
    return now && !is_ended(now->last_status) && now->epoch == p.epoch;
}

// The holder's write of its process row in the step's transaction. False when another program
// claimed the process since: then the transaction is rolled back, `p` reloaded, and the step
// counts as not done.
bool engine::commit_claimed(process_row& p) {
    if (store_.update_claimed_process(p)) {
        store_.commit();
        return true;
    }
    store_.rollback();
    if (auto now = store_.process(p.process_id)) p = *now;
    return false;
}

process_row engine::run(process_row p, recovery r, const step_observer& observe) {
    const auto* plan = plan_of(p);
    if (!plan)
        throw std::runtime_error(
            fmt::format("workflow '{}' is not in the catalog", p.workflow_name));
    p.owner = options_.owner;
    p.last_status = process_status::running;
    for (std::size_t i = r.next; i < plan->steps.size(); ++i)
        if (!run_step(p, plan->steps[i], r.state, observe)) break;
    return p;
}

bool engine::run_step(process_row& p, const planned_step& s, json& state,
                      const step_observer& observe) {
    auto started = now_iso();
    step_status status = step_status::success;
    // Between steps, without the write lock: aborted, taken over or paused meanwhile?
    auto gone = [&] {
        if (still_ours(p)) return false;
        if (auto now = store_.process(p.process_id)) p = *now;  // leave it to its new owner
        return true;
    };
    if (gone()) return false;
    // The step's transaction, opened once: after the step's code, or when its code queries
    // what it wrote. Throws step_abandoned when the process is no longer ours.
    deferred_writes writes;
    bool open = false;
    const std::function<void()> open_step = [&] {
        if (open) return;
        store_.begin();
        if (gone()) {
            store_.rollback();
            throw step_abandoned{};
        }
        open = true;
        writes.open(store_);
    };
    if (store_.global_lock()) {
        // Paused between steps: the process stays `running`, owned by no one, so that
        // `engine resume` (or `resume PID`) can pick it up.
        try {
            open_step();
        } catch (const step_abandoned&) {
            return false;
        }
        p.owner.clear();
        p.last_status = process_status::running;
        p.last_modified_at = p.heartbeat_at = now_iso();
        commit_claimed(p);
        return false;
    }
    try {
        if (!s.runs(state)) {
            status = step_status::skipped;
        } else if (s.k == planned_step::kind::input) {
            status = step_status::suspend;
        } else {
            if (auto f = options_.faults.find(s.name); f != options_.faults.end()) {
                auto& fl = f->second;
                if (fl.k == fault::kind::delay)
                    std::this_thread::sleep_for(std::chrono::milliseconds(fl.delay_ms));
                else if (fl.k == fault::kind::fail && fl.remaining != 0) {
                    if (fl.remaining > 0) --fl.remaining;
                    throw step_error("FaultInjected",
                                     fmt::format("Injected failure in step '{}'", s.name));
                }
            }
            // The step's own code runs outside any transaction (with group commit, inside the
            // group's); what it writes waits in `writes`.
            domain_access domain(store_, catalog_.model, writes);
            deferred_sql sql(store_, writes, open_step);
            context ctx(state, s, p.process_id, store_, domain, sql);
            json result = s.entry->run(ctx);
            // The step's transaction: its writes, the subscriptions it returns, its row and the
            // process row, only while the process is still this program's.
            open_step();
            merge_result(s, state, std::move(result), store_);
            if (auto f = options_.faults.find(s.name);
                f != options_.faults.end() && f->second.k == fault::kind::crash)
                std::raise(SIGKILL);  // dies inside the step, before its transaction commits
            if (s.name == "done")
                status = step_status::complete;
            else if (s.name == "abort")
                status = step_status::abort;
        }
        open_step();  // a skipped or suspending step: only its row

        step_row row = new_row(p.process_id, s.display, s.key, status, options_.reporter,
                               std::move(state), started);
        row.seq = store_.insert_step(row);

        p.last_step = s.display;
        p.last_status = process_status_after(status);
        p.failed_reason.clear();
        p.last_modified_at = p.heartbeat_at = row.completed_at;
        bool goes_on = p.last_status == process_status::running;
        if (!goes_on) p.owner.clear();
        if (!commit_claimed(p)) return false;  // taken over meanwhile: the step did not happen
        state = std::move(row.state);
        if (observe) {
            row.state = nullptr;  // observers get the row without a copy of the state
            observe(row);
        }
        return goes_on;
    } catch (const step_abandoned&) {
        return false;  // nothing was written; `p` holds the process as its new owner left it
    } catch (const step_error& e) {
        store_.rollback();
        record_failure(p, s, started, e.class_name(), e.what(), observe);
    } catch (const damaged_store_error&) {
        store_.rollback();  // a damaged file is not written into, not even a failed step
        throw;
    } catch (const std::exception& e) {
        store_.rollback();
        record_failure(p, s, started, "Exception", e.what(), observe);
    }
    return false;
}

process_row engine::abort(process_row p) {
    return in_transaction(store_, [&] {
        auto current = store_.process(p.process_id);
        if (!current) throw refusal(fmt::format("no process {}", p.process_id));
        if (is_ended(current->last_status))
            throw refusal(fmt::format("Aborting a {} process is not possible",
                                      to_string(current->last_status)));
        p = *current;
        // Taken from whoever holds it: a step of the former holder can no longer commit.
        auto epoch = store_.claim_process(p.process_id, p.last_status, p.owner, p.epoch,
                                          options_.owner, now_iso());
        if (!epoch) throw refusal(fmt::format("process {} changed meanwhile", p.process_id));
        p.epoch = *epoch;
        auto r = recover(p);
        auto row =
            abort_row(p.process_id, "User Aborted", "abort", options_.reporter, std::move(r.state));
        p.last_step = row.name;
        p.last_status = process_status::aborted;
        p.last_modified_at = row.completed_at;
        p.owner.clear();
        store_.insert_step(row);
        if (!store_.update_claimed_process(p))
            throw refusal(fmt::format("process {} changed meanwhile", p.process_id));
        return p;
    });
}

// A failure is counted against the step's retry policy. Attempts are the failed and waiting
// rows of this step since the last good row, each with the repeats folded into it. Within the
// policy the process goes `waiting` with the next attempt's time in the row; after the last
// attempt it goes `failed`, or `aborted` (a failed row, then an `Abort` row with the last good
// state) when the policy says `then: abort`. A failure identical to the latest row (same status,
// step, user and error) is counted in that row (`retries`, `completed_at` list), as
// orchestrator-core does, instead of adding one.
void engine::record_failure(process_row& p, const planned_step& s, const std::string& started,
                            const std::string& class_name, const std::string& message,
                            const step_observer& observe) {
    std::optional<step_row> logged;
    store_.begin();
    try {
        if (!still_ours(p)) {
            store_.rollback();
            if (auto now = store_.process(p.process_id)) p = *now;
            return;
        }
        auto rows = store_.steps(p.process_id);
        int attempt = 1;
        json good = json::object();
        for (const auto& r : rows) {
            if (is_cleared(r.status) || r.status == step_status::suspend) {
                attempt = 1;
                good = r.state;
            } else if (r.step_key == s.key &&
                       (r.status == step_status::failed || r.status == step_status::waiting)) {
                attempt += 1 + r.state.value("retries", 0);
            }
        }
        if (good.empty())
            if (auto initial = store_.last_input_state(p.process_id)) good = std::move(*initial);
        const bool is_retry = s.retry.has_value() && s.k == planned_step::kind::step;
        const bool waiting = is_retry && attempt < s.retry->attempts;
        const auto now = clock::now();

        step_row row = new_row(
            p.process_id, s.display, s.key, waiting ? step_status::waiting : step_status::failed,
            options_.reporter, {{"class", class_name}, {"error", message}}, started);
        row.completed_at = iso_at(now);
        const step_row* last = rows.empty() ? nullptr : &rows.back();
        if (last && last->status == row.status && last->name == row.name &&
            last->created_by == row.created_by && last->state.value("error", "") == message &&
            last->state.value("class", "") == class_name) {
            row.seq = last->seq;
            row.step_id = last->step_id;
            row.started_at = last->started_at;
            row.state = last->state;
            row.state["retries"] = row.state.value("retries", 0) + 1;
            if (!row.state["completed_at"].is_array()) row.state["completed_at"] = json::array();
            row.state["completed_at"].push_back(last->completed_at);
        }
        if (is_retry) {
            row.state["attempt"] = attempt;
            row.state["attempts"] = s.retry->attempts;
            row.state.erase("next_attempt_at");
            if (waiting)
                row.state["next_attempt_at"] =
                    iso_at(now + std::chrono::milliseconds(s.retry->wait_after(attempt)));
        }
        if (row.seq) {
            store_.update_step(row);
        } else {
            row.seq = store_.insert_step(row);
        }
        logged = row;
        p.last_step = s.display;
        p.last_status = waiting ? process_status::waiting : process_status::failed;
        p.failed_reason = message;
        p.last_modified_at = p.heartbeat_at = row.completed_at;
        p.owner.clear();
        if (is_retry && !waiting && s.retry->then == "abort") {
            auto end =
                abort_row(p.process_id, "Abort", "abort", options_.reporter, std::move(good));
            store_.insert_step(end);
            p.last_step = end.name;
            p.last_status = process_status::aborted;
            p.last_modified_at = end.completed_at;
        }
        if (!commit_claimed(p)) return;  // taken over meanwhile: its new holder decides
    } catch (...) {
        store_.rollback();
        throw;
    }
    if (observe && logged) observe(*logged);
}

subscription_choices engine::choices() {
    return [this](const std::string& product_type, const std::vector<std::string>& lifecycles) {
        std::vector<choice_option> options;
        for (const auto& lc : lifecycles.empty() ? std::vector<std::string>{""} : lifecycles) {
            subscription_filter f;
            f.product_type = product_type;
            if (!lc.empty()) f.status = lc;
            for (const auto& s : store_.subscriptions(f))
                options.push_back({s.subscription_id, s.description});
        }
        return options;
    };
}

std::optional<form_page> engine::waiting_form(const process_row& p) {
    if (p.last_status != process_status::suspended) return std::nullopt;
    const auto* plan = plan_of(p);
    if (!plan) return std::nullopt;
    auto r = recover(p);
    if (r.next >= plan->steps.size()) return std::nullopt;
    const auto& s = plan->steps[r.next];
    if (s.k != planned_step::kind::input || !s.form) return std::nullopt;
    json context = r.state;
    if (!context.contains("subscription"))
        if (auto it = context.find("subscription_id"); it != context.end() && it->is_string())
            if (auto sub = store_.load_subscription(it->get<std::string>()))
                context["subscription"] = std::move(*sub);
    auto page = build_page(*s.form, context, choices());
    page.has_next = false;
    return page;
}

resume_outcome engine::resume(const std::string& process_id, const json& pages,
                              const step_observer& observe) {
    resume_outcome out;
    process_row p;
    recovery r;
    store_.begin();
    try {
        auto current = store_.process(process_id);
        if (!current) throw refusal(fmt::format("no process {}", process_id));
        p = std::move(*current);
        if (store_.global_lock()) throw refusal(engine_locked_message);
        const auto st = p.last_status;
        bool resumable = st == process_status::suspended || st == process_status::waiting ||
                         st == process_status::failed || st == process_status::resumed ||
                         (st == process_status::running && orphaned(p));
        if (!resumable)
            throw refusal(fmt::format("Resuming a {} workflow is not possible", to_string(st)));
        if (auto why = definition_mismatch(p)) throw refusal(*why);
        const auto* plan = plan_of(p);
        r = recover(p);

        if (st == process_status::suspended && r.suspended && r.next < plan->steps.size()) {
            const auto& s = plan->steps[r.next];
            auto page = waiting_form(p);
            if (!page)
                throw refusal(
                    fmt::format("process {} waits for a form that no longer exists", process_id));
            json list = pages.is_object() ? json::array({pages})
                        : pages.is_null() ? json::array()
                                          : pages;
            if (!list.is_array()) {
                out.k = resume_outcome::kind::invalid;
                out.errors.push_back(
                    {"__root__", "Input should be a list of form pages", "list_type"});
            } else if (list.empty()) {
                out.k = resume_outcome::kind::not_complete;
                out.form = page_schema(*page);
                out.meta = page_meta(*page);
                out.page = std::move(page);
            } else if (list.size() > 1) {
                out.k = resume_outcome::kind::invalid;
                out.errors.push_back(
                    {"__root__", fmt::format("Form has 1 page, {} were submitted", list.size()),
                     "form_overflow"});
            } else if (auto v = validate_page(*page, list[0]); !v.ok()) {
                out.k = resume_outcome::kind::invalid;
                out.errors = std::move(v.errors);
            } else {
                // The input step's `success` row carries the merged state.
                store_.insert_input_state(p.process_id, v.output, "user_input");
                deep_merge(r.state, v.output);
                step_row row = new_row(p.process_id, s.display, s.key, step_status::success,
                                       options_.reporter, r.state);
                row.seq = store_.insert_step(row);
                p.last_step = s.display;
                ++r.next;
            }
            if (out.k != resume_outcome::kind::resumed) {
                store_.rollback();
                out.process = p;
                return out;
            }
        }
        auto now = now_iso();
        auto epoch = store_.claim_process(p.process_id, st, p.owner, p.epoch, options_.owner, now);
        if (!epoch) throw refusal("Resuming a running workflow is not possible");
        p.epoch = *epoch;
        p.last_status = process_status::running;
        p.owner = options_.owner;
        p.heartbeat_at = p.last_modified_at = now;
        p.failed_reason.clear();
        p.definition = plan->definition;  // the process now runs this definition
        if (!store_.update_claimed_process(p))
            throw refusal("Resuming a running workflow is not possible");
        store_.commit();
    } catch (...) {
        store_.rollback();
        throw;
    }
    out.process = run(std::move(p), std::move(r), observe);
    return out;
}

process_row engine::time_out(process_row p, const planned_step& s) {
    return in_transaction(store_, [&] {
        auto current = store_.process(p.process_id);
        if (!current || current->last_status != process_status::suspended)
            return current.value_or(p);
        p = *current;
        // Claimed like a resume, so that a resume racing the timeout leaves one of them.
        auto epoch = store_.claim_process(p.process_id, process_status::suspended, p.owner, p.epoch,
                                          options_.owner, now_iso());
        if (!epoch) return store_.process(p.process_id).value_or(p);
        p.epoch = *epoch;
        auto r = recover(p);
        step_row row =
            new_row(p.process_id, s.display, s.key, step_status::failed, options_.reporter,
                    {{"class", "TimeoutError"},
                     {"error",
                      fmt::format("No input within {}", duration_text(s.timeout_ms.value_or(0)))}});
        store_.insert_step(row);
        p.last_step = s.display;
        p.last_status = process_status::failed;
        p.failed_reason = row.state["error"];
        p.last_modified_at = row.completed_at;
        p.owner.clear();
        if (s.retry && s.retry->then == "abort") {
            auto end =
                abort_row(p.process_id, "Abort", "abort", options_.reporter, std::move(r.state));
            store_.insert_step(end);
            p.last_step = end.name;
            p.last_status = process_status::aborted;
            p.last_modified_at = end.completed_at;
        }
        if (!store_.update_claimed_process(p))
            throw refusal(fmt::format("process {} changed meanwhile", p.process_id));
        return p;
    });
}

std::vector<due_action> engine::resume_due(const step_observer& observe) {
    if (store_.global_lock()) throw refusal(engine_locked_message);
    std::vector<due_action> done;
    const auto now = now_iso();
    process_filter waiting;
    waiting.status = process_status::waiting;
    auto found = store_.processes(waiting);
    std::reverse(found.begin(), found.end());  // oldest first
    for (const auto& p : found) {
        auto last = store_.last_step(p.process_id);
        if (!last || last->status != step_status::waiting) continue;
        if (last->state.value("next_attempt_at", std::string()) > now) continue;
        try {
            auto out = resume(p.process_id, json::array(), observe);
            done.push_back({p.process_id, p.workflow_name, "retried", out.process.last_status});
        } catch (const refusal& e) {
            done.push_back({p.process_id, p.workflow_name, std::string("not retried: ") + e.what(),
                            p.last_status});
        }
    }
    process_filter suspended;
    suspended.status = process_status::suspended;
    found = store_.processes(suspended);
    std::reverse(found.begin(), found.end());
    for (const auto& p : found) {
        const auto* plan = plan_of(p);
        if (!plan) continue;
        auto r = recover(p);
        if (r.next >= plan->steps.size()) continue;
        const auto& s = plan->steps[r.next];
        if (!s.timeout_ms) continue;
        auto last = store_.last_step(p.process_id);
        auto since = last ? parse_iso(last->completed_at) : std::nullopt;
        if (!since || clock::now() - *since < std::chrono::milliseconds(*s.timeout_ms)) continue;
        auto after = time_out(p, s);
        done.push_back({p.process_id, p.workflow_name, "timed out", after.last_status});
    }
    return done;
}

engine_status engine::status() {
    if (!store_.global_lock()) return engine_status::running;
    process_filter running;
    running.status = process_status::running;
    for (const auto& p : store_.processes(running))
        if (!orphaned(p)) return engine_status::pausing;
    return engine_status::paused;
}

void engine::pause() {
    in_transaction(store_, [&] { store_.set_global_lock(true); });
}

std::vector<process_row> engine::unpause(const step_observer& observe) {
    in_transaction(store_, [&] { store_.set_global_lock(false); });
    std::vector<process_row> continued;
    process_filter running;
    running.status = process_status::running;
    auto found = store_.processes(running);
    std::reverse(found.begin(), found.end());
    for (const auto& p : found) {
        if (!orphaned(p)) continue;
        try {
            continued.push_back(resume(p.process_id, json::array(), observe).process);
        } catch (const refusal&) {
            // taken by another program meanwhile, or its workflow changed: left as it is
        }
    }
    return continued;
}

}  // namespace wfrun
