// The catalog half of the SQLite store (catalog_store.hpp): reading the stored ids, writing the
// difference to the model (catalog_diff.hpp works out the links), and the product listings.
// Unchanged rows are not written, and an unchanged model (by its fingerprint) is not even
// compared row by row: syncing the same model twice writes nothing and takes no write lock.
#include <map>

#include <fmt/format.h>

#include "interpreter/store/sqlite/sqlite_store_impl.hpp"
#include "interpreter/util/util.hpp"

namespace wfrun {

using sqlite_detail::read_product;
using sqlite_detail::text_or_empty;

// Brings a link table (two id columns) in line with `desired`: missing pairs are inserted,
// others deleted.
void sqlite_store::impl::sync_links(const char* table, const char* a, const char* b,
                                    const std::set<id_link>& desired) {
    std::set<id_link> existing;
    {
        auto q = st(fmt::format("SELECT {}, {} FROM {}", a, b, table));
        while (q->step()) existing.emplace(q->column_text(0), q->column_text(1));
    }
    link_diff d = diff_links(existing, desired);
    for (const id_link& l : d.removed) {
        auto del = st(fmt::format("DELETE FROM {} WHERE {} = ?1 AND {} = ?2", table, a, b));
        del->bind_all(l.first, l.second);
        del->run();
    }
    for (const id_link& l : d.added) {
        auto ins = st(fmt::format("INSERT INTO {} ({}, {}) VALUES (?1, ?2)", table, a, b));
        ins->bind_all(l.first, l.second);
        ins->run();
    }
}

void sqlite_store::impl::index_stored(catalog_index& next) {
    auto& s = *this;
    std::map<std::string, std::string> blocks, resources;
    {
        auto q = s.st("SELECT name, product_block_id FROM product_blocks");
        while (q->step()) blocks.emplace(q->column_text(0), q->column_text(1));
    }
    {
        auto q = s.st("SELECT resource_type, resource_type_id FROM resource_types");
        while (q->step()) resources.emplace(q->column_text(0), q->column_text(1));
    }
    std::vector<product_row> products;
    {
        auto q = s.st(
            sqlite_detail::concat("SELECT ", sqlite_detail::product_columns, " FROM products"));
        while (q->step()) products.push_back(read_product(*q));
    }
    next.index(std::move(products), blocks, resources);
}

// Checks before it writes: the fingerprint of the model the rows were last synced with is read
// in a read transaction, and when it is this model's, the index is built from those rows and
// nothing is written (no write lock is taken). Otherwise the rows are brought in line in a write
// transaction, which reads them again, and the new fingerprint is stored with them.
void sqlite_store::sync_catalog(const catalog_model& model) {
    validate_catalog_model(model);
    impl_->forget_models();
    auto& s = *impl_;
    auto next = std::make_unique<catalog_index>();
    next->model = model;
    const catalog_model& m = next->model;
    const std::string fingerprint = catalog_fingerprint(m);

    if (!s.db.in_transaction()) {
        s.st("BEGIN DEFERRED")->run();
        try {
            bool same = s.stored_fingerprint() == fingerprint;
            if (same) s.index_stored(*next);
            s.st("COMMIT")->run();
            if (same) {
                s.cat = std::move(next);
                return;
            }
        } catch (...) {
            if (s.db.in_transaction()) s.st("ROLLBACK")->run();
            throw;
        }
        if (s.read_only) throw s.cannot_write("the catalog differs from the one stored");
    }

    const std::string now = now_iso();
    catalog_ids ids;

    impl::write_scope scope(s);

    // Products that left the model go first, and only when no subscription uses them.
    {
        auto q = s.st("SELECT name, product_id FROM products");
        while (q->step()) ids.products.emplace(q->column_text(0), q->column_text(1));
    }
    for (auto it = ids.products.begin(); it != ids.products.end();) {
        if (m.product(it->first) != nullptr) {
            ++it;
            continue;
        }
        std::int64_t used = 0;
        {
            auto q = s.st("SELECT COUNT(*) FROM subscriptions WHERE product_id = ?1");
            q->bind_all(it->second);
            if (q->step()) used = q->column_int64(0);
        }
        if (used > 0) {
            throw store_error(fmt::format("cannot remove product '{}': {} subscriptions use it",
                                          it->first, used));
        }
        auto del = s.st("DELETE FROM products WHERE product_id = ?1");
        del->bind_all(it->second);
        del->run();
        it = ids.products.erase(it);
    }

    // Blocks likewise.
    {
        auto q = s.st("SELECT name, product_block_id FROM product_blocks");
        while (q->step()) ids.blocks.emplace(q->column_text(0), q->column_text(1));
    }
    for (auto it = ids.blocks.begin(); it != ids.blocks.end();) {
        if (m.block(it->first) != nullptr) {
            ++it;
            continue;
        }
        std::int64_t used = 0;
        {
            auto q = s.st(
                "SELECT COUNT(DISTINCT subscription_id) FROM subscription_instances "
                "WHERE product_block_id = ?1");
            q->bind_all(it->second);
            if (q->step()) used = q->column_int64(0);
        }
        if (used > 0) {
            throw store_error(fmt::format(
                "cannot remove product block '{}': {} subscriptions use it", it->first, used));
        }
        auto del = s.st("DELETE FROM product_blocks WHERE product_block_id = ?1");
        del->bind_all(it->second);
        del->run();
        it = ids.blocks.erase(it);
    }

    // Resource types: every resource field name, described by its first declaration. Types
    // the model no longer names are kept; stored values may still refer to them.
    std::map<std::string, std::string> descriptions;  // by resource type name
    {
        auto q = s.st("SELECT resource_type, resource_type_id, description FROM resource_types");
        while (q->step()) {
            ids.resources.emplace(q->column_text(0), q->column_text(1));
            descriptions.emplace(q->column_text(0), text_or_empty(*q, 2));
        }
    }
    for (const auto& [name, description] : resource_descriptions(m)) {
        auto it = ids.resources.find(name);
        if (it == ids.resources.end()) {
            std::string id = new_uuid();
            auto ins = s.st(
                "INSERT INTO resource_types (resource_type_id, resource_type, description) "
                "VALUES (?1, ?2, ?3)");
            ins->bind_all(id, name, description);
            ins->run();
            ids.resources.emplace(name, id);
        } else if (descriptions[name] != description) {
            auto upd =
                s.st("UPDATE resource_types SET description = ?2 WHERE resource_type_id = ?1");
            upd->bind_all(it->second, description);
            upd->run();
        }
    }

    // Blocks: insert or update in place; unchanged rows are not written.
    for (const block_def& b : m.blocks) {
        auto it = ids.blocks.find(b.name);
        std::string id = it != ids.blocks.end() ? it->second : new_uuid();
        auto up = s.st(
            "INSERT INTO product_blocks (product_block_id, name, description, tag, status, "
            "created_at) VALUES (?1, ?2, ?3, ?4, 'active', ?5) "
            "ON CONFLICT (name) DO UPDATE SET description = excluded.description, "
            "tag = excluded.tag, status = excluded.status, end_date = NULL "
            "WHERE description IS NOT excluded.description OR tag IS NOT excluded.tag "
            "OR status IS NOT excluded.status OR end_date IS NOT NULL");
        up->bind_all(id, b.name, b.description, b.tag, now);
        up->run();
        ids.blocks[b.name] = id;
    }

    for (const product_def& p : m.products) {
        auto it = ids.products.find(p.name);
        std::string id = it != ids.products.end() ? it->second : new_uuid();
        auto up = s.st(
            "INSERT INTO products (product_id, name, description, product_type, tag, status, "
            "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
            "ON CONFLICT (name) DO UPDATE SET description = excluded.description, "
            "product_type = excluded.product_type, tag = excluded.tag, status = excluded.status "
            "WHERE description IS NOT excluded.description "
            "OR product_type IS NOT excluded.product_type OR tag IS NOT excluded.tag "
            "OR status IS NOT excluded.status");
        up->bind_all(id, p.name, p.description, p.type, p.tag, p.status, now);
        up->run();
        ids.products[p.name] = id;
    }

    // Fixed inputs, keyed by (product, name).
    {
        std::map<id_link, std::pair<std::string, std::string>> existing;  // -> id, value
        {
            auto q = s.st("SELECT product_id, name, fixed_input_id, value FROM fixed_inputs");
            while (q->step()) {
                existing.emplace(id_link{q->column_text(0), q->column_text(1)},
                                 std::pair{q->column_text(2), q->column_text(3)});
            }
        }
        std::set<id_link> desired;
        for (const product_def& p : m.products) {
            const std::string& pid = ids.products.at(p.name);
            for (const auto& [name, value] : p.fixed) {
                desired.emplace(pid, name);
                auto it = existing.find({pid, name});
                if (it == existing.end()) {
                    auto ins = s.st(
                        "INSERT INTO fixed_inputs (fixed_input_id, name, value, product_id, "
                        "created_at) VALUES (?1, ?2, ?3, ?4, ?5)");
                    ins->bind_all(new_uuid(), name, value, pid, now);
                    ins->run();
                } else if (it->second.second != value) {
                    auto upd = s.st("UPDATE fixed_inputs SET value = ?2 WHERE fixed_input_id = ?1");
                    upd->bind_all(it->second.first, value);
                    upd->run();
                }
            }
        }
        for (const auto& [key, row] : existing) {
            if (desired.contains(key)) continue;
            auto del = s.st("DELETE FROM fixed_inputs WHERE fixed_input_id = ?1");
            del->bind_all(row.first);
            del->run();
        }
    }

    // Workflows: upserted by name; those that left the model are soft-deleted.
    {
        auto q = s.st("SELECT name, workflow_id FROM workflows");
        while (q->step()) ids.workflows.emplace(q->column_text(0), q->column_text(1));
    }
    for (const workflow_def& w : m.workflows) {
        auto it = ids.workflows.find(w.name);
        std::string id = it != ids.workflows.end() ? it->second : new_uuid();
        auto up = s.st(
            "INSERT INTO workflows (workflow_id, name, target, description, created_at, is_task) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
            "ON CONFLICT (name) DO UPDATE SET target = excluded.target, "
            "description = excluded.description, is_task = excluded.is_task, deleted_at = NULL "
            "WHERE target IS NOT excluded.target OR description IS NOT excluded.description "
            "OR is_task IS NOT excluded.is_task OR deleted_at IS NOT NULL");
        up->bind_all(id, w.name, to_string(w.target), w.description, now, w.is_task);
        up->run();
        ids.workflows[w.name] = id;
    }
    for (const auto& [name, id] : ids.workflows) {
        if (m.workflow(name) != nullptr) continue;
        auto del = s.st(
            "UPDATE workflows SET deleted_at = ?2 WHERE workflow_id = ?1 AND deleted_at IS NULL");
        del->bind_all(id, now);
        del->run();
    }

    // Link tables.
    const catalog_links links = desired_links(m, ids);
    s.sync_links("product_product_blocks", "product_id", "product_block_id", links.product_blocks);
    s.sync_links("product_block_relations", "in_use_by_id", "depends_on_id", links.block_relations);
    s.sync_links("product_block_resource_types", "product_block_id", "resource_type_id",
                 links.block_resources);
    s.sync_links("products_workflows", "product_id", "workflow_id", links.product_workflows);

    // The index the domain calls use.
    std::vector<product_row> products;
    {
        auto q = s.st(
            sqlite_detail::concat("SELECT ", sqlite_detail::product_columns, " FROM products"));
        while (q->step()) products.push_back(read_product(*q));
    }
    next->index(std::move(products), ids.blocks, ids.resources);

    {
        auto q = s.st("UPDATE engine_settings SET catalog_fingerprint = ?1 WHERE id = 1");
        q->bind_all(fingerprint);
        q->run();
    }
    scope.commit();
    s.cat = std::move(next);
}

std::vector<product_row> sqlite_store::products() {
    auto q = impl_->st(
        "SELECT product_id, name, description, product_type, tag, status FROM products "
        "ORDER BY name");
    std::vector<product_row> out;
    while (q->step()) out.push_back(read_product(*q));
    return out;
}

std::optional<product_row> sqlite_store::product(const std::string& product_id) {
    auto q = impl_->st(
        "SELECT product_id, name, description, product_type, tag, status FROM products "
        "WHERE product_id = ?1");
    q->bind_all(product_id);
    if (!q->step()) return std::nullopt;
    return read_product(*q);
}

std::vector<std::string> sqlite_store::product_workflows(const std::string& product_id) {
    auto q = impl_->st(
        "SELECT w.name FROM products_workflows pw JOIN workflows w "
        "ON w.workflow_id = pw.workflow_id WHERE pw.product_id = ?1 AND w.deleted_at IS NULL "
        "ORDER BY w.name");
    q->bind_all(product_id);
    std::vector<std::string> out;
    while (q->step()) out.push_back(q->column_text(0));
    return out;
}

// The statements are the steps' idempotent DDL, which writes nothing when its tables exist. They
// run first in a read transaction, which takes the write lock only if one of them does write;
// when another writer holds it meanwhile (SQLite cannot turn this read into a write then), they
// run again in a write transaction.
void sqlite_store::run_schema(const std::vector<std::string>& statements) {
    auto& s = *impl_;
    if (!s.db.in_transaction()) {
        s.st("BEGIN DEFERRED")->run();
        try {
            for (const std::string& statement : statements) s.db.exec(statement);
            s.st("COMMIT")->run();
            return;
        } catch (const sqlite::error& e) {
            if (s.db.in_transaction()) s.st("ROLLBACK")->run();
            if (e.primary() != SQLITE_BUSY) throw;
        } catch (const read_only_store_error&) {
            if (s.db.in_transaction()) s.st("ROLLBACK")->run();
            throw s.cannot_write("the steps' tables are missing");
        } catch (...) {
            if (s.db.in_transaction()) s.st("ROLLBACK")->run();
            throw;
        }
    }
    impl::write_scope scope(s);
    for (const std::string& statement : statements) s.db.exec(statement);
    scope.commit();
}

}  // namespace wfrun
