// The subscription half of the SQLite store (subscription_store.hpp): reading the rows a model
// is built from, writing what a save changes, the listings and the subscription lock. What a
// model means in rows is domain_mapping.hpp's; this file only reads and writes them.
#include <fmt/format.h>

#include "interpreter/store/sqlite/sqlite_store_impl.hpp"
#include "interpreter/util/util.hpp"

namespace wfrun {

using sqlite_detail::concat;

namespace {

constexpr std::string_view subscription_select =
    "SELECT s.subscription_id, s.description, s.status, s.insync, s.customer_id, s.start_date, "
    "s.end_date, s.note, s.version, p.product_id, p.name, p.description, p.product_type, p.tag, "
    "p.status FROM subscriptions s JOIN products p ON p.product_id = s.product_id ";

subscription_row read_subscription(const sqlite::statement& st) {
    subscription_row r;
    r.subscription_id = st.column_text(0);
    r.description = st.column_text(1);
    r.status = st.column_text(2);
    r.insync = st.column_bool(3);
    r.customer_id = st.column_text(4);
    r.start_date = st.column_optional_text(5);
    r.end_date = st.column_optional_text(6);
    r.note = st.column_optional_text(7);
    r.version = st.column_int64(8);
    r.product.product_id = st.column_text(9);
    r.product.name = st.column_text(10);
    r.product.description = st.column_text(11);
    r.product.product_type = st.column_text(12);
    r.product.tag = st.column_text(13);
    r.product.status = st.column_text(14);
    return r;
}

}  // namespace

std::optional<subscription_row> sqlite_store::impl::subscription(const std::string& id) {
    static const std::string sql = concat(subscription_select, "WHERE s.subscription_id = ?1");
    auto q = st(sql);
    q->bind_all(id);
    if (!q->step()) return std::nullopt;
    return read_subscription(*q);
}

std::optional<subscription_row> sqlite_store::subscription(const std::string& subscription_id) {
    return impl_->subscription(subscription_id);
}

std::vector<subscription_row> sqlite_store::impl::subscription_list(std::string_view sql,
                                                                    const std::string& a,
                                                                    const std::string& b) {
    auto q = st(sql);
    int n = q->parameter_count();
    if (n >= 1) q->bind(1, a);
    if (n >= 2) q->bind(2, b);
    std::vector<subscription_row> out;
    while (q->step()) out.push_back(read_subscription(*q));
    return out;
}

std::vector<subscription_row> sqlite_store::subscriptions(const subscription_filter& filter) {
    // One statement per combination, so that each can use its index.
    static const std::string order = " ORDER BY s.description, s.subscription_id";
    static const std::string all = concat(subscription_select, order);
    static const std::string by_type =
        concat(subscription_select, "WHERE p.product_type = ?1", order);
    static const std::string by_status = concat(subscription_select, "WHERE s.status = ?1", order);
    static const std::string by_both =
        concat(subscription_select, "WHERE p.product_type = ?1 AND s.status = ?2", order);
    const std::string none;
    if (filter.product_type && filter.status) {
        return impl_->subscription_list(by_both, *filter.product_type, *filter.status);
    }
    if (filter.product_type) return impl_->subscription_list(by_type, *filter.product_type, none);
    if (filter.status) return impl_->subscription_list(by_status, *filter.status, none);
    return impl_->subscription_list(all, none, none);
}

std::vector<subscription_row> sqlite_store::in_use_by(const std::string& subscription_id) {
    static const std::string sql = concat(
        subscription_select,
        "WHERE s.subscription_id IN (SELECT u.subscription_id FROM subscription_instances d "
        "JOIN subscription_instance_relations r ON r.depends_on_id = d.subscription_instance_id "
        "JOIN subscription_instances u ON u.subscription_instance_id = r.in_use_by_id "
        "WHERE d.subscription_id = ?1 AND u.subscription_id != ?1)",
        " ORDER BY s.description, s.subscription_id");
    return impl_->subscription_list(sql, subscription_id, {});
}

std::vector<subscription_row> sqlite_store::depends_on(const std::string& subscription_id) {
    static const std::string sql = concat(
        subscription_select,
        "WHERE s.subscription_id IN (SELECT d.subscription_id FROM subscription_instances u "
        "JOIN subscription_instance_relations r ON r.in_use_by_id = u.subscription_instance_id "
        "JOIN subscription_instances d ON d.subscription_instance_id = r.depends_on_id "
        "WHERE u.subscription_id = ?1 AND d.subscription_id != ?1)",
        " ORDER BY s.description, s.subscription_id");
    return impl_->subscription_list(sql, subscription_id, {});
}

void sqlite_store::set_insync(const std::string& subscription_id, bool insync) {
    impl_->forget_models();
    auto q = impl_->st(
        "UPDATE subscriptions SET insync = ?2, version = version + 1 "
        "WHERE subscription_id = ?1 AND insync != ?2");
    q->bind_all(subscription_id, insync);
    q->run();
    if (impl_->db.changes() == 0 && !impl_->subscription(subscription_id)) {
        throw store_error(fmt::format("unknown subscription '{}'", subscription_id));
    }
}

// The transaction began with BEGIN IMMEDIATE, which holds SQLite's write lock until it ends: no
// other connection can write the row meanwhile, so the lock is that and an existence check.
bool sqlite_store::lock_subscription(const std::string& subscription_id) {
    if (!impl_->db.in_transaction()) {
        throw store_error("lock_subscription() needs a transaction (begin())");
    }
    auto q = impl_->st("SELECT 1 FROM subscriptions WHERE subscription_id = ?1");
    q->bind_all(subscription_id);
    return q->step();
}

std::optional<json> sqlite_store::load_subscription(const std::string& subscription_id) {
    auto& s = *impl_;
    if (const json* cached = s.cached_model(subscription_id)) return *cached;
    auto row = s.subscription(subscription_id);
    if (!row) return std::nullopt;
    const catalog_index& c = s.require_catalog();
    c.product_of(row->product.product_id,
                 fmt::format("subscription '{}' has product '{}', which is not in the catalog",
                             subscription_id, row->product.name));

    // This subscription's instances with their values, and the relations from them; then,
    // level by level, the instances of other subscriptions they depend on. (Indexed lookups
    // only: a recursive CTE would build temporary tables on every load.)
    stored_blocks blocks;
    auto& instances = blocks.instances;
    auto add_value_row = [&](const sqlite::statement& q, const std::string& id, int first) {
        auto [it, added] = instances.try_emplace(id);
        if (added) {
            it->second.subscription_id = q.column_text(first);
            it->second.block_id = q.column_text(first + 1);
            it->second.label = q.column_optional_text(first + 2);
        }
        if (!q.is_null(first + 3)) {
            it->second.values.emplace_back(q.column_text(first + 3), q.column_text(first + 4));
        }
    };
    {
        auto q = s.st(
            "SELECT i.subscription_instance_id, i.subscription_id, i.product_block_id, i.label, "
            "v.resource_type_id, v.value FROM subscription_instances i "
            "LEFT JOIN subscription_instance_values v "
            "ON v.subscription_instance_id = i.subscription_instance_id "
            "WHERE i.subscription_id = ?1");
        q->bind_all(subscription_id);
        while (q->step()) add_value_row(*q, q->column_text(0), 1);
    }
    std::vector<std::string> pending;  // depended on, not loaded yet
    auto add_relation = [&](const sqlite::statement& q) {
        instance_relation r{q.column_text(0), q.column_text(1), q.column_text(2),
                            q.column_int64(3)};
        if (!instances.contains(r.depends_on_id)) pending.push_back(r.depends_on_id);
        std::string key = r.in_use_by_id;
        blocks.children.emplace(std::move(key), std::move(r));
    };
    {
        auto q = s.st(
            "SELECT r.in_use_by_id, r.depends_on_id, r.domain_model_attr, r.order_id "
            "FROM subscription_instances i JOIN subscription_instance_relations r "
            "ON r.in_use_by_id = i.subscription_instance_id WHERE i.subscription_id = ?1");
        q->bind_all(subscription_id);
        while (q->step()) {
            blocks.owned_children.insert(q->column_text(1));
            add_relation(*q);
        }
    }
    std::unordered_set<std::string> fetched;
    while (!pending.empty()) {
        std::string id = std::move(pending.back());
        pending.pop_back();
        if (instances.contains(id) || !fetched.insert(id).second) continue;
        {
            auto q = s.st(
                "SELECT i.subscription_id, i.product_block_id, i.label, v.resource_type_id, "
                "v.value FROM subscription_instances i LEFT JOIN subscription_instance_values v "
                "ON v.subscription_instance_id = i.subscription_instance_id "
                "WHERE i.subscription_instance_id = ?1");
            q->bind_all(id);
            while (q->step()) add_value_row(*q, id, 0);
        }
        auto q = s.st(
            "SELECT in_use_by_id, depends_on_id, domain_model_attr, order_id "
            "FROM subscription_instance_relations WHERE in_use_by_id = ?1");
        q->bind_all(id);
        while (q->step()) add_relation(*q);
    }

    json out = build_subscription_model(c, *row, blocks);
    s.models.insert_or_assign(subscription_id, out);
    return out;
}

void sqlite_store::save_subscription(const json& model) {
    impl_->save_subscription(model);
}

// The rows a subscription owns as stored.
stored_subscription_rows sqlite_store::impl::stored_rows(const std::string& sid) {
    stored_subscription_rows out;
    {
        auto q = st(
            "SELECT subscription_instance_id, product_block_id, label FROM subscription_instances "
            "WHERE subscription_id = ?1");
        q->bind_all(sid);
        while (q->step()) {
            out.owned.emplace(q->column_text(0),
                              std::pair{q->column_text(1), q->column_optional_text(2)});
        }
    }
    {
        auto q =
            st("SELECT v.subscription_instance_id, v.resource_type_id, v.value "
               "FROM subscription_instance_values v JOIN subscription_instances i "
               "ON i.subscription_instance_id = v.subscription_instance_id "
               "WHERE i.subscription_id = ?1");
        q->bind_all(sid);
        while (q->step()) {
            out.values.emplace(std::pair{q->column_text(0), q->column_text(1)}, q->column_text(2));
        }
    }
    {
        auto q =
            st("SELECT r.in_use_by_id, r.depends_on_id, r.domain_model_attr, r.order_id "
               "FROM subscription_instance_relations r JOIN subscription_instances i "
               "ON i.subscription_instance_id = r.in_use_by_id WHERE i.subscription_id = ?1");
        q->bind_all(sid);
        while (q->step()) {
            out.relations.insert(
                {q->column_text(0), q->column_text(1), q->column_text(2), q->column_int64(3)});
        }
    }
    return out;
}

// Saves in three parts: the subscription row, then the instances, values and relations this
// subscription owns (written only where they differ from what is stored), then the removal of
// owned instances the model no longer references. Everything is validated first.
void sqlite_store::impl::save_subscription(const json& model) {
    const catalog_index& c = require_catalog();
    const std::string sid = model_subscription_id(model);
    // The model as stored, when it was loaded since the last write: then what is stored is
    // known without reading it again.
    std::optional<json> before;
    if (cached_model(sid)) before = std::move(models.extract(sid).mapped());
    forget_models();
    std::optional<std::string> stored_product;
    if (before) {
        stored_product = (*before)["product"].value("product_id", std::string());
    } else if (auto row = subscription(sid)) {
        stored_product = row->product.product_id;
    }
    const subscription_save plan = plan_save(c, model, stored_product);
    std::optional<stored_subscription_rows> known;
    if (before) known = rows_of_loaded(c, *before);

    write_scope scope(*this);

    if (!stored_product) {
        auto ins =
            st("INSERT INTO subscriptions (subscription_id, description, status, product_id, "
               "customer_id, insync, start_date, end_date, note) "
               "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
        ins->bind_all(sid, plan.description, plan.status, plan.product_id, plan.customer_id,
                      plan.insync, plan.start_date, plan.end_date, plan.note);
        ins->run();
    } else {
        auto upd =
            st("UPDATE subscriptions SET description = ?2, status = ?3, product_id = ?4, "
               "customer_id = ?5, insync = ?6, start_date = ?7, end_date = ?8, note = ?9, "
               "version = version + 1 WHERE subscription_id = ?1 AND (description IS NOT ?2 "
               "OR status IS NOT ?3 OR product_id IS NOT ?4 OR customer_id IS NOT ?5 "
               "OR insync IS NOT ?6 OR start_date IS NOT ?7 OR end_date IS NOT ?8 "
               "OR note IS NOT ?9)");
        upd->bind_all(sid, plan.description, plan.status, plan.product_id, plan.customer_id,
                      plan.insync, plan.start_date, plan.end_date, plan.note);
        upd->run();
    }

    const subscription_writes w = diff_subscription(plan.blocks, known ? *known : stored_rows(sid));
    for (const auto& in : w.insert_instances) {
        auto ins =
            st("INSERT INTO subscription_instances (subscription_instance_id, subscription_id, "
               "product_block_id, label) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING");
        ins->bind_all(in.id, sid, in.block_id, in.label);
        ins->run();
        if (db.changes() == 0) {
            throw store_error(fmt::format(
                "block instance '{}' belongs to another subscription than '{}'", in.id, sid));
        }
    }
    for (const auto& in : w.update_instances) {
        auto upd =
            st("UPDATE subscription_instances SET product_block_id = ?2, label = ?3 "
               "WHERE subscription_instance_id = ?1");
        upd->bind_all(in.id, in.block_id, in.label);
        upd->run();
    }
    for (const auto& v : w.delete_values) {
        auto del =
            st("DELETE FROM subscription_instance_values "
               "WHERE subscription_instance_id = ?1 AND resource_type_id = ?2");
        del->bind_all(v.instance_id, v.resource_type_id);
        del->run();
    }
    for (const auto& v : w.insert_values) {
        auto ins =
            st("INSERT INTO subscription_instance_values (subscription_instance_value_id, "
               "subscription_instance_id, resource_type_id, value) VALUES (?1, ?2, ?3, ?4)");
        ins->bind_all(new_uuid(), v.instance_id, v.resource_type_id, *v.text);
        ins->run();
    }
    for (const auto& v : w.update_values) {
        auto upd =
            st("UPDATE subscription_instance_values SET value = ?3 "
               "WHERE subscription_instance_id = ?1 AND resource_type_id = ?2");
        upd->bind_all(v.instance_id, v.resource_type_id, *v.text);
        upd->run();
    }
    for (const auto& [id, owner] : w.linked) {
        auto q =
            st("SELECT 1 FROM subscription_instances WHERE subscription_instance_id = ?1 "
               "AND subscription_id = ?2");
        q->bind_all(id, owner);
        if (!q->step()) {
            throw store_error(
                fmt::format("block instance '{}' of subscription '{}' does not exist", id, owner));
        }
    }
    for (const instance_relation& r : w.delete_relations) {
        auto del =
            st("DELETE FROM subscription_instance_relations WHERE in_use_by_id = ?1 "
               "AND depends_on_id = ?2 AND domain_model_attr = ?3 AND order_id = ?4");
        del->bind_all(r.in_use_by_id, r.depends_on_id, r.attr, r.order_id);
        del->run();
    }
    for (const instance_relation& r : w.insert_relations) {
        auto ins =
            st("INSERT INTO subscription_instance_relations (in_use_by_id, depends_on_id, "
               "order_id, domain_model_attr) VALUES (?1, ?2, ?3, ?4)");
        ins->bind_all(r.in_use_by_id, r.depends_on_id, r.order_id, r.attr);
        ins->run();
    }
    for (const std::string& id : w.remove_instances) {
        {
            auto q =
                st("SELECT u.subscription_id FROM subscription_instance_relations r "
                   "JOIN subscription_instances u ON u.subscription_instance_id = r.in_use_by_id "
                   "WHERE r.depends_on_id = ?1 AND u.subscription_id != ?2 LIMIT 1");
            q->bind_all(id, sid);
            if (q->step()) {
                throw store_error(fmt::format(
                    "cannot remove block instance '{}' of subscription '{}': subscription '{}' "
                    "uses it",
                    id, sid, q->column_text(0)));
            }
        }
        auto del = st("DELETE FROM subscription_instances WHERE subscription_instance_id = ?1");
        del->bind_all(id);
        del->run();
    }

    scope.commit();
}

json sqlite_store::new_subscription(const std::string& product_id, const std::string& customer_id) {
    return new_subscription_model(impl_->require_catalog(), product_id, customer_id);
}

json sqlite_store::create_subscription(const std::string& product_id,
                                       const std::string& customer_id) {
    json m = new_subscription_model(impl_->require_catalog(), product_id, customer_id);
    impl_->save_subscription(m);
    return m;
}

}  // namespace wfrun
