// The process log half of the SQLite store (process_log.hpp): processes with their claim epoch,
// their step rows, input states and subscription links. The claim and the holder's fenced write
// are single conditional UPDATEs, as the contract asks of every backend.
#include <fmt/format.h>

#include "interpreter/store/json_text.hpp"
#include "interpreter/store/sqlite/sqlite_store_impl.hpp"
#include "interpreter/util/util.hpp"

namespace wfrun {

using sqlite_detail::concat;
using sqlite_detail::nullable;
using sqlite_detail::text_or_empty;

namespace {

constexpr std::string_view process_columns =
    "p.pid, p.workflow_name, p.workflow_target, p.last_status, p.last_step, p.started_at, "
    "p.last_modified_at, p.failed_reason, p.traceback, p.created_by, p.assignee, p.is_task, "
    "p.definition, p.owner, p.heartbeat_at, p.epoch ";

// A column holding the text of one of the domain's enums; a store_error for any other text.
template <typename Parse>
auto stored_enum(Parse parse, const sqlite::statement& st, int column, std::string_view what) {
    auto text = st.column_view(column);
    auto value = parse(text);
    if (!value) throw store_error(fmt::format("unknown {} '{}' in the database", what, text));
    return *value;
}

process_row read_process(const sqlite::statement& st) {
    process_row p;
    p.process_id = st.column_text(0);
    p.workflow_name = st.column_text(1);
    p.target = stored_enum(parse_workflow_target, st, 2, "workflow target");
    p.last_status = stored_enum(parse_process_status, st, 3, "process status");
    p.last_step = text_or_empty(st, 4);
    p.started_at = st.column_text(5);
    p.last_modified_at = st.column_text(6);
    p.failed_reason = text_or_empty(st, 7);
    p.traceback = text_or_empty(st, 8);
    p.created_by = text_or_empty(st, 9);
    p.assignee = st.column_text(10);
    p.is_task = st.column_bool(11);
    p.definition = text_or_empty(st, 12);
    p.owner = text_or_empty(st, 13);
    p.heartbeat_at = text_or_empty(st, 14);
    p.epoch = st.column_int64(15);
    return p;
}

step_row read_step(const sqlite::statement& q) {
    step_row r;
    r.seq = q.column_int64(0);
    r.step_id = q.column_text(1);
    r.process_id = q.column_text(2);
    r.name = q.column_text(3);
    r.step_key = text_or_empty(q, 4);
    r.status = stored_enum(parse_step_status, q, 5, "step status");
    r.state = json::parse(q.column_view(6));
    r.created_by = text_or_empty(q, 7);
    r.started_at = q.column_text(8);
    r.completed_at = q.column_text(9);
    return r;
}

// The columns update_process() and update_claimed_process() write, ?1 being the pid.
constexpr std::string_view process_update =
    "UPDATE processes SET workflow_target = ?2, last_status = ?3, last_step = ?4, "
    "last_modified_at = ?5, failed_reason = ?6, traceback = ?7, created_by = ?8, "
    "assignee = ?9, is_task = ?10, definition = ?11, owner = ?12, heartbeat_at = ?13 "
    "WHERE pid = ?1";

void bind_process_update(sqlite::statement& q, const process_row& p) {
    q.bind_all(p.process_id, to_string(p.target), to_string(p.last_status), nullable(p.last_step),
               p.last_modified_at.empty() ? now_iso() : p.last_modified_at,
               nullable(p.failed_reason), nullable(p.traceback), nullable(p.created_by),
               p.assignee.empty() ? std::string_view("SYSTEM") : p.assignee, p.is_task,
               nullable(p.definition), nullable(p.owner), nullable(p.heartbeat_at));
}

}  // namespace

void sqlite_store::insert_process(const process_row& p) {
    if (p.process_id.empty()) throw store_error("a process needs an id");
    const std::string started = p.started_at.empty() ? now_iso() : p.started_at;
    const std::string& modified = p.last_modified_at.empty() ? started : p.last_modified_at;
    auto q = impl_->st(
        "INSERT INTO processes (pid, workflow_id, workflow_name, workflow_target, last_status, "
        "last_step, started_at, last_modified_at, failed_reason, traceback, created_by, "
        "assignee, is_task, definition, owner, heartbeat_at, epoch) VALUES (?1, "
        "(SELECT workflow_id FROM workflows WHERE name = ?2), ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
        "?10, ?11, ?12, ?13, ?14, ?15, 1)");
    q->bind_all(p.process_id, p.workflow_name, to_string(p.target), to_string(p.last_status),
                nullable(p.last_step), started, modified, nullable(p.failed_reason),
                nullable(p.traceback), nullable(p.created_by),
                p.assignee.empty() ? std::string_view("SYSTEM") : p.assignee, p.is_task,
                nullable(p.definition), nullable(p.owner), nullable(p.heartbeat_at));
    q->run();
}

// last_modified_at is `p`'s when set, otherwise now.
void sqlite_store::update_process(const process_row& p) {
    auto q = impl_->st(process_update);
    bind_process_update(*q, p);
    q->run();
    if (impl_->db.changes() == 0) {
        throw store_error(fmt::format("unknown process '{}'", p.process_id));
    }
}

bool sqlite_store::update_claimed_process(const process_row& p) {
    static const std::string sql = concat(process_update, " AND epoch = ?14");
    auto q = impl_->st(sql);
    bind_process_update(*q, p);
    q->bind(14, p.epoch);
    q->run();
    return impl_->db.changes() > 0;
}

std::optional<std::int64_t> sqlite_store::claim_process(const std::string& process_id,
                                                        process_status expected_status,
                                                        const std::string& expected_owner,
                                                        std::int64_t expected_epoch,
                                                        const std::string& owner,
                                                        const std::string& heartbeat_at) {
    auto q = impl_->st(
        "UPDATE processes SET last_status = 'running', owner = ?4, heartbeat_at = ?5, "
        "last_modified_at = ?5, epoch = epoch + 1 WHERE pid = ?1 AND last_status = ?2 "
        "AND IFNULL(owner, '') = ?3 AND epoch = ?6 RETURNING epoch");
    q->bind_all(process_id, to_string(expected_status), expected_owner, owner,
                heartbeat_at.empty() ? now_iso() : heartbeat_at, expected_epoch);
    if (!q->step()) return std::nullopt;
    std::int64_t epoch = q->column_int64(0);
    q->reset();
    return epoch;
}

std::optional<process_row> sqlite_store::process(const std::string& process_id) {
    static const std::string sql =
        concat("SELECT ", process_columns, "FROM processes p WHERE p.pid = ?1");
    auto q = impl_->st(sql);
    q->bind_all(process_id);
    if (!q->step()) return std::nullopt;
    return read_process(*q);
}

std::vector<process_row> sqlite_store::impl::process_list(std::string_view sql,
                                                          const std::string& a,
                                                          const std::string& b,
                                                          std::int64_t limit) {
    auto q = st(sql);
    int n = q->parameter_count();  // the limit is always the last parameter
    if (n >= 2) q->bind(1, a);
    if (n >= 3) q->bind(2, b);
    q->bind(n, limit);
    std::vector<process_row> out;
    while (q->step()) out.push_back(read_process(*q));
    return out;
}

std::vector<process_row> sqlite_store::processes(const process_filter& filter) {
    static const std::string head = concat("SELECT ", process_columns, "FROM processes p ");
    static const std::string tail = " ORDER BY p.started_at DESC, p.rowid DESC LIMIT ?";
    static const std::string all = concat(head, tail);
    static const std::string by_status = concat(head, "WHERE p.last_status = ?1", tail);
    static const std::string by_workflow = concat(head, "WHERE p.workflow_name = ?1", tail);
    static const std::string by_both =
        concat(head, "WHERE p.last_status = ?1 AND p.workflow_name = ?2", tail);
    const std::int64_t limit = filter.limit == 0 ? -1 : static_cast<std::int64_t>(filter.limit);
    const std::string none;
    const std::string status = filter.status ? std::string(to_string(*filter.status)) : none;
    if (filter.status && filter.workflow) {
        return impl_->process_list(by_both, status, *filter.workflow, limit);
    }
    if (filter.status) return impl_->process_list(by_status, status, none, limit);
    if (filter.workflow) return impl_->process_list(by_workflow, *filter.workflow, none, limit);
    return impl_->process_list(all, none, none, limit);
}

std::int64_t sqlite_store::insert_step(const step_row& s) {
    const std::string completed = s.completed_at.empty() ? now_iso() : s.completed_at;
    auto q = impl_->st(
        "INSERT INTO process_steps (stepid, pid, name, step_key, status, state, created_by, "
        "started_at, completed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
    q->bind_all(s.step_id.empty() ? new_uuid() : s.step_id, s.process_id, s.name,
                nullable(s.step_key), to_string(s.status), compact_json(s.state),
                nullable(s.created_by), s.started_at.empty() ? completed : s.started_at, completed);
    q->run();
    return impl_->db.last_insert_rowid();
}

std::vector<step_row> sqlite_store::steps(const std::string& process_id) {
    auto q = impl_->st(
        "SELECT seq, stepid, pid, name, step_key, status, state, created_by, started_at, "
        "completed_at FROM process_steps WHERE pid = ?1 ORDER BY seq");
    q->bind_all(process_id);
    std::vector<step_row> out;
    while (q->step()) out.push_back(read_step(*q));
    return out;
}

std::optional<step_row> sqlite_store::last_step(const std::string& process_id) {
    auto q = impl_->st(
        "SELECT seq, stepid, pid, name, step_key, status, state, created_by, started_at, "
        "completed_at FROM process_steps WHERE pid = ?1 ORDER BY seq DESC LIMIT 1");
    q->bind_all(process_id);
    if (!q->step()) return std::nullopt;
    return read_step(*q);
}

void sqlite_store::update_step(const step_row& s) {
    auto q = impl_->st(
        "UPDATE process_steps SET status = ?2, state = ?3, completed_at = ?4 WHERE seq = ?1");
    q->bind_all(s.seq, to_string(s.status), compact_json(s.state),
                s.completed_at.empty() ? now_iso() : s.completed_at);
    q->run();
    if (impl_->db.changes() == 0) throw store_error(fmt::format("unknown step row {}", s.seq));
}

void sqlite_store::insert_input_state(const std::string& process_id, const json& input,
                                      const std::string& input_type) {
    auto q = impl_->st(
        "INSERT INTO input_states (input_state_id, pid, input_state, input_time, input_type) "
        "VALUES (?1, ?2, ?3, ?4, ?5)");
    q->bind_all(new_uuid(), process_id, compact_json(input), now_iso(), input_type);
    q->run();
}

std::optional<json> sqlite_store::last_input_state(const std::string& process_id) {
    auto q = impl_->st(
        "SELECT input_state FROM input_states WHERE pid = ?1 ORDER BY rowid DESC LIMIT 1");
    q->bind_all(process_id);
    if (!q->step()) return std::nullopt;
    return json::parse(q->column_view(0));
}

void sqlite_store::link_process_subscription(const std::string& process_id,
                                             const std::string& subscription_id,
                                             workflow_target target) {
    auto q = impl_->st(
        "INSERT INTO processes_subscriptions (id, pid, subscription_id, created_at, "
        "workflow_target) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (pid, subscription_id) "
        "DO NOTHING");
    q->bind_all(new_uuid(), process_id, subscription_id, now_iso(), to_string(target));
    q->run();
}

std::vector<std::string> sqlite_store::process_subscriptions(const std::string& process_id) {
    auto q = impl_->st(
        "SELECT subscription_id FROM processes_subscriptions WHERE pid = ?1 "
        "ORDER BY created_at, rowid");
    q->bind_all(process_id);
    std::vector<std::string> out;
    while (q->step()) out.push_back(q->column_text(0));
    return out;
}

std::vector<process_row> sqlite_store::subscription_processes(const std::string& subscription_id) {
    static const std::string sql =
        concat("SELECT ", process_columns,
               "FROM processes_subscriptions ps JOIN processes p ON p.pid = ps.pid "
               "WHERE ps.subscription_id = ?1 ORDER BY p.started_at DESC, p.rowid DESC");
    auto q = impl_->st(sql);
    q->bind_all(subscription_id);
    std::vector<process_row> out;
    while (q->step()) out.push_back(read_process(*q));
    return out;
}

}  // namespace wfrun
