// The embedded store: store.hpp on one SQLite file (or `:memory:`), in WAL mode with
// synchronous=FULL by default so that a committed step survives power loss. Every statement is
// prepared once and reused. The connection is used by one thread at a time; other connections
// and programs may open the same file, and writers queue on the busy timeout (a write
// transaction holds the database's write lock until it ends). A `:memory:` database is private
// to its connection. One file per concern: sqlite_store.cpp (opening, transactions),
// sqlite_schema.cpp, sqlite_catalog.cpp, sqlite_subscriptions.cpp, sqlite_process_log.cpp,
// sqlite_care.cpp (checks at open, check_storage, backup).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "interpreter/store/store.hpp"
#include "interpreter/util/util.hpp"

namespace wfrun {

struct sqlite_options {
    bool synchronous_full = true;  // false: synchronous=NORMAL (the last commits may be lost
                                   // on power loss, never corrupted)
    int busy_timeout_ms = 10000;
    // Open for reading only: no call takes the write lock, and every write throws
    // read_only_store_error. A file or folder that is not writable (by its permission bits, so
    // also for root) is opened this way when the caller only reads, and refused with that error
    // when the caller would write.
    bool read_only = false;
    // Check the files before anything else (sqlite_care.cpp): the write-ahead log is read for
    // commits that SQLite would silently drop, then PRAGMA quick_check runs. A damaged file
    // throws damaged_store_error and is left untouched. Off only to look after a damaged file
    // (check, backup).
    bool check_at_open = true;
    // Bring an older schema up to date. Off, with check_at_open, to look after a file as it is:
    // nothing is read at open, so that even a file SQLite cannot read opens.
    bool upgrade = true;
};

class sqlite_store final : public store {
  public:
    // Opens (or creates) the database at `path` and brings its schema up to date, writing only
    // when it is not (a read-only store then throws read_only_store_error). Throws store_error
    // naming the path and SQLite's message when that fails, damaged_store_error for a damaged
    // file.
    explicit sqlite_store(const std::string& path, sqlite_options options = {});
    ~sqlite_store() override;
    sqlite_store(const sqlite_store&) = delete;
    sqlite_store& operator=(const sqlite_store&) = delete;

    void begin() override;
    void commit() override;
    void rollback() override;
    bool in_transaction() const override;
    void begin_group() override;
    void commit_group() override;
    void rollback_group() override;
    bool in_group() const override;

    void sync_catalog(const catalog_model& model) override;
    std::vector<product_row> products() override;
    std::optional<product_row> product(const std::string& product_id) override;
    std::vector<std::string> product_workflows(const std::string& product_id) override;
    void run_schema(const std::vector<std::string>& statements) override;

    std::optional<json> load_subscription(const std::string& subscription_id) override;
    void save_subscription(const json& model) override;
    json new_subscription(const std::string& product_id, const std::string& customer_id) override;
    json create_subscription(const std::string& product_id,
                             const std::string& customer_id) override;
    std::optional<subscription_row> subscription(const std::string& subscription_id) override;
    std::vector<subscription_row> subscriptions(const subscription_filter& filter) override;
    std::vector<subscription_row> in_use_by(const std::string& subscription_id) override;
    std::vector<subscription_row> depends_on(const std::string& subscription_id) override;
    void set_insync(const std::string& subscription_id, bool insync) override;
    bool lock_subscription(const std::string& subscription_id) override;

    void insert_process(const process_row& p) override;
    void update_process(const process_row& p) override;
    bool update_claimed_process(const process_row& p) override;
    std::optional<process_row> process(const std::string& process_id) override;
    std::vector<process_row> processes(const process_filter& filter) override;
    std::int64_t insert_step(const step_row& s) override;
    std::vector<step_row> steps(const std::string& process_id) override;
    std::optional<step_row> last_step(const std::string& process_id) override;
    void update_step(const step_row& s) override;
    std::optional<std::int64_t> claim_process(const std::string& process_id,
                                              process_status expected_status,
                                              const std::string& expected_owner,
                                              std::int64_t expected_epoch, const std::string& owner,
                                              const std::string& heartbeat_at) override;
    void insert_input_state(const std::string& process_id, const json& input,
                            const std::string& input_type) override;
    std::optional<json> last_input_state(const std::string& process_id) override;
    void link_process_subscription(const std::string& process_id,
                                   const std::string& subscription_id,
                                   workflow_target target) override;
    std::vector<std::string> process_subscriptions(const std::string& process_id) override;
    std::vector<process_row> subscription_processes(const std::string& subscription_id) override;

    bool global_lock() override;
    void set_global_lock(bool locked) override;

    sql_session& sql() override;

    std::vector<std::string> check_storage() override;
    void backup(const std::string& destination, bool overwrite) override;
    void begin_snapshot() override;
    void end_snapshot() override;

    const std::string& path() const;
    bool read_only() const;

  private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace wfrun
