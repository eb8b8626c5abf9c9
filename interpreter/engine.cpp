// The run loop: one transaction per step. Before a step runs, the engine checks the global
// lock; then it evaluates the step's conditions, runs the step with a context that reads the
// state by the manifest, merges what the step returns, saves the subscriptions it returns, and
// writes the step row and the process row, all in the same transaction. A step that throws
// rolls back everything it did; its failure is then recorded in a transaction of its own.
#include "interpreter/engine.hpp"

#include <unistd.h>

#include <chrono>
#include <csignal>
#include <thread>

#include <fmt/format.h>

#include "interpreter/domain.hpp"
#include "interpreter/util.hpp"

namespace wfrun {

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
            throw std::invalid_argument(fmt::format("fault '{}': expected STEP=fail|fail*N|crash|delay:DURATION", item));
        auto name = std::string(item.substr(0, eq));
        auto what = item.substr(eq + 1);
        fault f;
        if (what == "fail") {
        } else if (what.substr(0, 5) == "fail*") {
            try {
                f.remaining = std::stoi(std::string(what.substr(5)));
            } catch (const std::exception&) {
                throw std::invalid_argument(fmt::format("fault '{}': fail*N needs a number", item));
            }
        } else if (what == "crash") {
            f.k = fault::kind::crash;
        } else if (what.substr(0, 6) == "delay:") {
            f.k = fault::kind::delay;
            auto d = std::string(what.substr(6));
            std::size_t digits = 0;
            while (digits < d.size() && std::isdigit(static_cast<unsigned char>(d[digits]))) ++digits;
            auto unit = d.substr(digits);
            std::int64_t n = digits ? std::stoll(d.substr(0, digits)) : -1;
            std::int64_t scale = unit == "ms" ? 1 : unit == "s" ? 1000 : unit == "m" ? 60000 : unit == "h" ? 3600000 : -1;
            if (n < 0 || scale < 0)
                throw std::invalid_argument(fmt::format("fault '{}': delay takes a duration such as 500ms", item));
            f.delay_ms = n * scale;
        } else {
            throw std::invalid_argument(fmt::format("fault '{}': expected fail, fail*N, crash or delay:DURATION", item));
        }
        out[name] = f;
    }
    return out;
}

namespace {

bool truthy(const json* v) {
    if (!v || v->is_null()) return false;
    if (v->is_boolean()) return v->get<bool>();
    if (v->is_number()) return v->get<double>() != 0;
    if (v->is_string() || v->is_array() || v->is_object()) return !v->empty();
    return true;
}

bool literal_equals(const json* v, const ast::value& lit) {
    if (!v) return false;
    using k = ast::value::kind;
    switch (lit.k) {
        case k::string:
        case k::name: return v->is_string() && v->get_ref<const std::string&>() == lit.text;
        case k::integer:
        case k::duration: return v->is_number_integer() && v->get<std::int64_t>() == lit.number;
        case k::boolean: return v->is_boolean() && v->get<bool>() == (lit.number != 0);
        default: return false;
    }
}

bool holds(const ast::condition& c, const json& state) {
    const json* v = lookup_path(state, c.path);
    bool result = c.op.empty() ? truthy(v) : literal_equals(v, *c.operand) == (c.op == "==");
    return c.negated ? !result : result;
}

std::string subscription_id_of(const json& v) {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_object())
        if (auto it = v.find("subscription_id"); it != v.end() && it->is_string()) return it->get<std::string>();
    return {};
}

// What a step sees: the state through its manifest, its arguments, the domain and its SQL.
class context final : public step_context {
public:
    context(const json& state, const planned_step& s, const std::string& pid, store& st,
            domain_access& domain)
        : state_(state), step_(s), pid_(pid), store_(st), domain_(domain) {}

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
    sql_session& db() override { return store_.sql(); }

private:
    const json& state_;
    const planned_step& step_;
    const std::string& pid_;
    store& store_;
    domain_access& domain_;
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
            throw step_error("ManifestError",
                             fmt::format("step '{}' returned '{}', which its manifest does not list",
                                         s.name, key));
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

}  // namespace

engine::engine(store& s, const catalog& c, const registry& r, engine_options options)
    : store_(s), catalog_(c), registry_(r), options_(std::move(options)) {
    if (options_.owner.empty()) options_.owner = default_owner();
}

const workflow_plan* engine::plan_of(const process_row& p) const {
    return catalog_.plan(p.workflow_name);
}

process_row engine::start(const workflow_plan& plan, const json& form_state,
                          const step_observer& observe) {
    process_row p;
    p.process_id = new_uuid();
    p.workflow_name = plan.def.name;
    p.workflow_target = plan.def.target;
    p.last_status = "created";
    p.started_at = p.last_modified_at = now_iso();
    p.created_by = options_.reporter;
    p.is_task = plan.def.is_task;
    p.definition = plan.definition;

    // The form's result under the initial keys: the initial keys win.
    json initial = {{"process_id", p.process_id},
                    {"reporter", options_.reporter},
                    {"workflow_name", plan.def.name},
                    {"workflow_target", plan.def.target}};
    json state = form_state.is_object() ? form_state : json::object();
    for (auto& [k, v] : initial.items()) state[k] = v;

    store_.begin();
    try {
        store_.insert_process(p);
        store_.insert_input_state(p.process_id, state, "initial_state");
        store_.commit();
    } catch (...) {
        store_.rollback();
        throw;
    }
    return run(std::move(p), recovery{std::move(state), 0}, observe);
}

engine::recovery engine::recover(const process_row& p) {
    recovery r;
    r.state = json::object();
    const auto* plan = plan_of(p);
    bool suspended = false;
    for (auto& row : store_.steps(p.process_id)) {
        const auto& st = row.status;
        if (st == "success" || st == "skipped" || st == "complete" || st == "abort") {
            r.state = std::move(row.state);
            ++r.next;
            suspended = false;
        } else if (st == "suspend") {
            r.state = std::move(row.state);
            suspended = true;
        }
    }
    (void)suspended;
    if (r.next == 0 && r.state.empty())
        if (auto initial = store_.last_input_state(p.process_id)) r.state = std::move(*initial);
    if (plan && r.next > plan->steps.size()) r.next = plan->steps.size();
    return r;
}

process_row engine::run(process_row p, recovery r, const step_observer& observe) {
    const auto* plan = plan_of(p);
    if (!plan) throw std::runtime_error(fmt::format("workflow '{}' is not in the catalog", p.workflow_name));
    p.owner = options_.owner;
    p.last_status = "running";
    for (std::size_t i = r.next; i < plan->steps.size(); ++i)
        if (!run_step(p, plan->steps[i], r.state, observe)) break;
    return p;
}

bool engine::run_step(process_row& p, const planned_step& s, json& state,
                      const step_observer& observe) {
    auto started = now_iso();
    std::string status = "success";
    store_.begin();
    try {
        if (store_.global_lock()) {  // paused between steps: the process stays `running`
            store_.rollback();
            return false;
        }
        bool run = true;
        for (const auto* c : s.conditions)
            if (!holds(*c, state)) run = false;
        if (!run) {
            status = "skipped";
        } else if (s.k == planned_step::kind::input) {
            status = "suspend";
        } else {
            if (auto f = options_.faults.find(s.name); f != options_.faults.end()) {
                auto& fl = f->second;
                if (fl.k == fault::kind::delay)
                    std::this_thread::sleep_for(std::chrono::milliseconds(fl.delay_ms));
                else if (fl.k == fault::kind::fail && fl.remaining != 0) {
                    if (fl.remaining > 0) --fl.remaining;
                    throw step_error("FaultInjected", fmt::format("Injected failure in step '{}'", s.name));
                }
            }
            domain_access domain(store_, catalog_.model);
            context ctx(state, s, p.process_id, store_, domain);
            json result = s.entry->run(ctx);
            merge_result(s, state, std::move(result), store_);
            if (auto f = options_.faults.find(s.name); f != options_.faults.end() && f->second.k == fault::kind::crash)
                std::raise(SIGKILL);  // dies inside the step, before its transaction commits
            if (s.name == "done") status = "complete";
            else if (s.name == "abort") status = "abort";
        }

        step_row row;
        row.step_id = new_uuid();
        row.process_id = p.process_id;
        row.name = s.display;
        row.step_key = s.key;
        row.status = status;
        row.created_by = options_.reporter;
        row.started_at = started;
        row.completed_at = now_iso();
        row.state = std::move(state);
        row.seq = store_.insert_step(row);

        p.last_step = s.display;
        p.last_status = status == "complete" ? "completed"
                        : status == "abort"  ? "aborted"
                        : status == "suspend" ? "suspended"
                                              : "running";
        p.failed_reason.clear();
        p.last_modified_at = p.heartbeat_at = row.completed_at;
        bool goes_on = p.last_status == "running";
        if (!goes_on) p.owner.clear();
        store_.update_process(p);
        store_.commit();
        state = std::move(row.state);
        if (observe) {
            row.state = nullptr;  // observers get the row without a copy of the state
            observe(row);
        }
        return goes_on;
    } catch (const step_error& e) {
        store_.rollback();
        record_failure(p, s, started, e.class_name(), e.what(), observe);
    } catch (const std::exception& e) {
        store_.rollback();
        record_failure(p, s, started, "Exception", e.what(), observe);
    }
    return false;
}

process_row engine::abort(process_row p) {
    auto r = recover(p);
    step_row row;
    row.step_id = new_uuid();
    row.process_id = p.process_id;
    row.name = "User Aborted";
    row.step_key = "abort";
    row.status = "abort";
    row.created_by = options_.reporter;
    row.started_at = row.completed_at = now_iso();
    row.state = std::move(r.state);
    p.last_step = row.name;
    p.last_status = "aborted";
    p.last_modified_at = row.completed_at;
    p.owner.clear();
    store_.begin();
    try {
        store_.insert_step(row);
        store_.update_process(p);
        store_.commit();
    } catch (...) {
        store_.rollback();
        throw;
    }
    return p;
}

void engine::record_failure(process_row& p, const planned_step& s, const std::string& started,
                            const std::string& class_name, const std::string& message,
                            const step_observer& observe) {
    bool waiting = s.retry.has_value();
    step_row row;
    row.step_id = new_uuid();
    row.process_id = p.process_id;
    row.name = s.display;
    row.step_key = s.key;
    row.status = waiting ? "waiting" : "failed";
    row.created_by = options_.reporter;
    row.started_at = started;
    row.completed_at = now_iso();
    row.state = {{"class", class_name}, {"error", message}};
    p.last_step = s.display;
    p.last_status = waiting ? "waiting" : "failed";
    p.failed_reason = message;
    p.last_modified_at = p.heartbeat_at = row.completed_at;
    p.owner.clear();
    store_.begin();
    try {
        row.seq = store_.insert_step(row);
        store_.update_process(p);
        store_.commit();
    } catch (...) {
        store_.rollback();
        throw;
    }
    if (observe) observe(row);
}

}  // namespace wfrun
