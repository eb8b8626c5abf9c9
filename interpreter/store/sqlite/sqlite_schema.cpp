// The SQLite schema (sqlite_store.hpp): orchestrator-core's tables, and the upgrade of a file
// written by an older wfrun. PRAGMA user_version holds the schema version; every statement of the
// schema is idempotent, so that it can run on any older file, and columns added since a version
// are added to files that lack them.
//
// Versions: 1 the first; 2 adds processes.epoch (the claim counter of process_log.hpp); 3 adds
// engine_settings.catalog_fingerprint (the catalog the rows were last synced with).
//
// Opening reads the version first and takes the write lock only when the file is behind, so
// that opening an up-to-date file writes nothing (and a read-only file can be read).
#include <fmt/format.h>

#include "interpreter/store/sqlite/sqlite_store_impl.hpp"

namespace wfrun {

namespace {

constexpr int schema_version = 3;

// The whole schema; every statement is idempotent so that it can run on any older file.
constexpr const char* schema_sql = R"sql(
CREATE TABLE IF NOT EXISTS products (
    product_id   TEXT PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    description  TEXT NOT NULL,
    product_type TEXT NOT NULL,
    tag          TEXT NOT NULL,
    status       TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    end_date     TEXT
);
CREATE TABLE IF NOT EXISTS product_blocks (
    product_block_id TEXT PRIMARY KEY,
    name             TEXT NOT NULL UNIQUE,
    description      TEXT NOT NULL,
    tag              TEXT NOT NULL,
    status           TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    end_date         TEXT
);
CREATE TABLE IF NOT EXISTS product_product_blocks (
    product_id       TEXT NOT NULL REFERENCES products ON DELETE CASCADE,
    product_block_id TEXT NOT NULL REFERENCES product_blocks ON DELETE CASCADE,
    PRIMARY KEY (product_id, product_block_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS product_product_blocks_block_ix
    ON product_product_blocks (product_block_id);
CREATE TABLE IF NOT EXISTS product_block_relations (
    in_use_by_id  TEXT NOT NULL REFERENCES product_blocks ON DELETE CASCADE,
    depends_on_id TEXT NOT NULL REFERENCES product_blocks ON DELETE CASCADE,
    min           INTEGER,
    max           INTEGER,
    PRIMARY KEY (in_use_by_id, depends_on_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS product_block_relations_depends_on_ix
    ON product_block_relations (depends_on_id);
CREATE TABLE IF NOT EXISTS resource_types (
    resource_type_id TEXT PRIMARY KEY,
    resource_type    TEXT NOT NULL UNIQUE,
    description      TEXT
);
CREATE TABLE IF NOT EXISTS product_block_resource_types (
    product_block_id TEXT NOT NULL REFERENCES product_blocks ON DELETE CASCADE,
    resource_type_id TEXT NOT NULL REFERENCES resource_types ON DELETE CASCADE,
    PRIMARY KEY (product_block_id, resource_type_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS fixed_inputs (
    fixed_input_id TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    value          TEXT NOT NULL,
    product_id     TEXT NOT NULL REFERENCES products ON DELETE CASCADE,
    created_at     TEXT NOT NULL,
    UNIQUE (product_id, name)
);
CREATE TABLE IF NOT EXISTS workflows (
    workflow_id TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    target      TEXT NOT NULL,
    description TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    deleted_at  TEXT,
    is_task     INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS products_workflows (
    product_id  TEXT NOT NULL REFERENCES products ON DELETE CASCADE,
    workflow_id TEXT NOT NULL REFERENCES workflows ON DELETE CASCADE,
    PRIMARY KEY (product_id, workflow_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS products_workflows_workflow_ix ON products_workflows (workflow_id);

CREATE TABLE IF NOT EXISTS subscriptions (
    subscription_id TEXT PRIMARY KEY,
    description     TEXT NOT NULL,
    status          TEXT NOT NULL,
    product_id      TEXT NOT NULL REFERENCES products,
    customer_id     TEXT NOT NULL,
    insync          INTEGER NOT NULL DEFAULT 0,
    start_date      TEXT,
    end_date        TEXT,
    note            TEXT,
    version         INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS subscriptions_status_ix ON subscriptions (status);
CREATE INDEX IF NOT EXISTS subscriptions_product_id_ix ON subscriptions (product_id);
-- The optimistic lock: every update bumps the version (recursive_triggers stays off). wfrun's
-- own updates bump it themselves, which the trigger sees and leaves alone; it is there for
-- every other writer.
CREATE TRIGGER IF NOT EXISTS subscriptions_version_bump AFTER UPDATE ON subscriptions
FOR EACH ROW WHEN NEW.version = OLD.version
BEGIN
    UPDATE subscriptions SET version = OLD.version + 1
    WHERE subscription_id = NEW.subscription_id;
END;
CREATE TABLE IF NOT EXISTS subscription_instances (
    subscription_instance_id TEXT PRIMARY KEY,
    subscription_id          TEXT NOT NULL REFERENCES subscriptions ON DELETE CASCADE,
    product_block_id         TEXT NOT NULL REFERENCES product_blocks,
    label                    TEXT
);
CREATE INDEX IF NOT EXISTS subscription_instances_subscription_id_ix
    ON subscription_instances (subscription_id);
CREATE TABLE IF NOT EXISTS subscription_instance_values (
    subscription_instance_value_id TEXT PRIMARY KEY,
    subscription_instance_id TEXT NOT NULL
        REFERENCES subscription_instances ON DELETE CASCADE,
    resource_type_id         TEXT NOT NULL REFERENCES resource_types,
    value                    TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS subscription_instance_values_subscription_instance_id_ix
    ON subscription_instance_values (subscription_instance_id, resource_type_id);
CREATE TABLE IF NOT EXISTS subscription_instance_relations (
    in_use_by_id      TEXT NOT NULL REFERENCES subscription_instances ON DELETE CASCADE,
    depends_on_id     TEXT NOT NULL REFERENCES subscription_instances,
    order_id          INTEGER NOT NULL DEFAULT 0,
    domain_model_attr TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS subscription_instance_relations_in_use_by_id_ix
    ON subscription_instance_relations (in_use_by_id, domain_model_attr, order_id);
CREATE INDEX IF NOT EXISTS subscription_instance_relations_depends_on_id_ix
    ON subscription_instance_relations (depends_on_id);

CREATE TABLE IF NOT EXISTS processes (
    pid              TEXT PRIMARY KEY,
    workflow_id      TEXT REFERENCES workflows,
    workflow_name    TEXT NOT NULL,
    workflow_target  TEXT,
    assignee         TEXT NOT NULL DEFAULT 'SYSTEM',
    last_status      TEXT NOT NULL,
    last_step        TEXT,
    started_at       TEXT NOT NULL,
    last_modified_at TEXT NOT NULL,
    failed_reason    TEXT,
    traceback        TEXT,
    created_by       TEXT,
    is_task          INTEGER NOT NULL DEFAULT 0,
    note             TEXT,
    definition       TEXT,
    owner            TEXT,
    heartbeat_at     TEXT,
    epoch            INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS processes_last_status_ix ON processes (last_status, started_at);
CREATE INDEX IF NOT EXISTS processes_workflow_name_ix ON processes (workflow_name, started_at);
CREATE INDEX IF NOT EXISTS processes_started_at_ix ON processes (started_at);
CREATE TABLE IF NOT EXISTS process_steps (
    seq          INTEGER PRIMARY KEY,  -- rowid order; no AUTOINCREMENT (an extra page per insert)
    stepid       TEXT NOT NULL UNIQUE,
    pid          TEXT NOT NULL REFERENCES processes ON DELETE CASCADE,
    name         TEXT NOT NULL,
    step_key     TEXT,
    status       TEXT NOT NULL,
    state        TEXT NOT NULL,
    created_by   TEXT,
    started_at   TEXT NOT NULL,
    completed_at TEXT NOT NULL,
    commit_hash  TEXT
);
CREATE INDEX IF NOT EXISTS process_steps_pid_ix ON process_steps (pid, seq);
CREATE TABLE IF NOT EXISTS input_states (
    input_state_id TEXT PRIMARY KEY,
    pid            TEXT NOT NULL REFERENCES processes ON DELETE CASCADE,
    input_state    TEXT NOT NULL,
    input_time     TEXT NOT NULL,
    input_type     TEXT NOT NULL CHECK (input_type IN ('initial_state', 'user_input'))
);
CREATE INDEX IF NOT EXISTS input_states_pid_ix ON input_states (pid);
CREATE TABLE IF NOT EXISTS processes_subscriptions (
    id              TEXT PRIMARY KEY,
    pid             TEXT NOT NULL REFERENCES processes ON DELETE CASCADE,
    subscription_id TEXT NOT NULL REFERENCES subscriptions,
    created_at      TEXT NOT NULL,
    workflow_target TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS processes_subscriptions_pid_ix
    ON processes_subscriptions (pid, subscription_id);
CREATE INDEX IF NOT EXISTS processes_subscriptions_subscription_id_ix
    ON processes_subscriptions (subscription_id);

CREATE TABLE IF NOT EXISTS engine_settings (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    global_lock INTEGER NOT NULL DEFAULT 0,
    catalog_fingerprint TEXT
);
INSERT OR IGNORE INTO engine_settings (id, global_lock) VALUES (1, 0);
)sql";

// Columns added after version 1, for files whose tables were created before them.
struct added_column {
    const char* table;
    const char* column;
    const char* definition;
};
constexpr added_column added_columns[] = {
    {"processes", "epoch", "INTEGER NOT NULL DEFAULT 0"},
    {"engine_settings", "catalog_fingerprint", "TEXT"},
};

bool has_column(sqlite::database& db, const char* table, const char* column) {
    auto q =
        db.prepare(fmt::format("SELECT 1 FROM pragma_table_info('{}') WHERE name = ?1", table));
    q.bind_all(column);
    return q.step();
}

}  // namespace

void sqlite_store::impl::migrate() {
    auto version = [&] {
        auto q = st("PRAGMA user_version");
        return q->step() ? q->column_int64(0) : 0;
    };
    if (version() > schema_version) {
        throw store_error(fmt::format("schema version {} is newer than this wfrun's ({})",
                                      version(), schema_version));
    }
    if (version() == schema_version) return;
    if (read_only) {
        throw cannot_write(
            fmt::format("its schema is version {} and needs an upgrade to version {}", version(),
                        schema_version));
    }
    begin();
    if (version() == schema_version) {  // another program upgraded it meanwhile
        commit();
        return;
    }
    try {
        db.exec(schema_sql);
        for (const added_column& c : added_columns) {
            if (!has_column(db, c.table, c.column)) {
                db.exec(fmt::format("ALTER TABLE {} ADD COLUMN {} {}", c.table, c.column,
                                    c.definition));
            }
        }
        db.exec(fmt::format("PRAGMA user_version = {}", schema_version));
        commit();
    } catch (...) {
        rollback();
        throw;
    }
}

std::string sqlite_store::impl::stored_fingerprint() {
    auto q = st("SELECT catalog_fingerprint FROM engine_settings WHERE id = 1");
    return q->step() ? sqlite_detail::text_or_empty(*q, 0) : std::string();
}

}  // namespace wfrun
