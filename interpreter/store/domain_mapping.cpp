// The backend-neutral half of storing subscriptions (domain_mapping.hpp): checking a catalog
// model, typing resource values, building a model from its rows and planning a save.
#include "interpreter/store/domain_mapping.hpp"

#include <charconv>

#include <fmt/format.h>

#include "interpreter/util/util.hpp"

namespace wfrun {

namespace {

// The keys every block instance carries besides its fields.
constexpr const char* block_meta_keys[] = {"name", "subscription_instance_id",
                                           "owner_subscription_id", "label"};
// The top-level keys of a subscription model besides fixed inputs and the root block.
constexpr const char* subscription_keys[] = {"subscription_id", "description", "status",   "insync",
                                             "customer_id",     "start_date",  "end_date", "note",
                                             "version",         "product"};

template <std::size_t N>
bool one_of(const char* const (&names)[N], std::string_view s) {
    for (const char* n : names) {
        if (s == n) return true;
    }
    return false;
}

const json* member(const json& object, const char* key) {
    if (!object.is_object()) return nullptr;
    auto it = object.find(key);
    return it == object.end() ? nullptr : &*it;
}

std::string string_member(const json& object, const char* key, const char* what) {
    const json* v = member(object, key);
    if (v == nullptr || !v->is_string()) {
        throw store_error(fmt::format("{}: '{}' must be a string", what, key));
    }
    return v->get<std::string>();
}

std::optional<std::string> optional_string_member(const json& object, const char* key,
                                                  const char* what) {
    const json* v = member(object, key);
    if (v == nullptr || v->is_null()) return std::nullopt;
    if (!v->is_string()) {
        throw store_error(fmt::format("{}: '{}' must be a string or null", what, key));
    }
    return v->get<std::string>();
}

json optional_json(const std::optional<std::string>& s) {
    return s ? json(*s) : json(nullptr);
}

class model_builder {
  public:
    model_builder(const catalog_index& c, const stored_blocks& blocks) : c_(c), blocks_(blocks) {}

    // The block instance `id` as JSON with its values typed and its nested blocks inlined.
    json build(const std::string& id) {
        auto it = blocks_.instances.find(id);
        if (it == blocks_.instances.end() || !path_.insert(id).second) return nullptr;
        const stored_instance& in = it->second;
        auto def_it = c_.block_by_id.find(in.block_id);
        // Keys in the order new_subscription_model() writes them: the block's own, then its
        // fields as declared.
        const block_def* def = def_it == c_.block_by_id.end() ? nullptr : def_it->second;
        json b = {{"name", def != nullptr ? json(def->name) : json(nullptr)},
                  {"subscription_instance_id", id},
                  {"owner_subscription_id", in.subscription_id},
                  {"label", optional_json(in.label)}};
        if (def == nullptr) {
            path_.erase(id);
            return b;
        }
        auto [first, last] = blocks_.children.equal_range(id);
        for (const field_def& f : def->fields) {
            if (f.is_block) {
                json child = nullptr;
                for (auto r = first; r != last; ++r) {
                    if (r->second.attr == f.name) {
                        child = build(r->second.depends_on_id);
                        break;
                    }
                }
                b[f.name] = std::move(child);
                continue;
            }
            json value = nullptr;
            auto rid = c_.resource_ids.find(f.name);
            if (rid != c_.resource_ids.end()) {
                for (const auto& [type_id, text] : in.values) {
                    if (type_id == rid->second) {
                        value = typed_resource_value(f, text);
                        break;
                    }
                }
            }
            b[f.name] = std::move(value);
        }
        path_.erase(id);
        return b;
    }

  private:
    const catalog_index& c_;
    const stored_blocks& blocks_;
    std::unordered_set<std::string> path_;  // guards against cycles
};

class save_planner {
  public:
    save_planner(const catalog_index& c, const std::string& subscription_id, block_plan& plan)
        : c_(c), sid_(subscription_id), plan_(plan) {}

    // Walks the block `b` expected to be a `def`, referenced from `parent.attr` (no parent for
    // the root).
    void walk(const json& b, const block_def& def, const std::string& parent,
              const std::string& attr) {
        if (b.is_null()) return;
        if (!b.is_object()) {
            throw store_error(
                fmt::format("{}: expected a {} block, got {}", where(attr), def.name, b.dump()));
        }
        if (const json* name = member(b, "name"); name != nullptr && !name->is_null()) {
            if (!name->is_string() || name->get_ref<const std::string&>() != def.name) {
                throw store_error(fmt::format("{}: expected a {} block, got {}", where(attr),
                                              def.name, name->dump()));
            }
        }
        auto id = optional_string_member(b, "subscription_instance_id", def.name.c_str());
        auto owner = optional_string_member(b, "owner_subscription_id", def.name.c_str());
        if (!id || id->empty()) {
            id = new_uuid();
            owner = sid_;
        }
        if (!owner || owner->empty()) owner = sid_;
        if (!parent.empty()) plan_.relations.insert({parent, *id, attr, 0});
        if (*owner != sid_) {
            plan_.linked.emplace_back(*id, *owner);
            return;
        }
        if (!plan_.kept.insert(*id).second) return;  // referenced twice: written once

        for (const auto& [key, value] : b.items()) {
            if (one_of(block_meta_keys, key)) continue;
            bool known = false;
            for (const field_def& f : def.fields) known = known || f.name == key;
            if (!known) {
                throw store_error(fmt::format("unknown field '{}' in block {}", key, def.name));
            }
        }
        plan_.instances.push_back(
            {*id, c_.block_ids.at(def.name), optional_string_member(b, "label", def.name.c_str())});
        for (const field_def& f : def.fields) {
            const json* v = member(b, f.name.c_str());
            if (f.is_block) {
                if (v != nullptr) walk(*v, *c_.model.block(f.type), *id, f.name);
                continue;
            }
            block_plan::value row{*id, c_.resource_ids.at(f.name), std::nullopt};
            if (v != nullptr && !v->is_null()) row.text = resource_value_text(def, f, *v);
            plan_.values.push_back(std::move(row));
        }
    }

  private:
    std::string where(const std::string& attr) const { return attr.empty() ? "root block" : attr; }

    const catalog_index& c_;
    const std::string& sid_;
    block_plan& plan_;
};

// An empty instance of `def` owned by `owner`, with an empty instance for every nested block.
json empty_block(const catalog_model& m, const block_def& def, const std::string& owner,
                 std::set<std::string>& path) {
    if (!path.insert(def.name).second) return nullptr;
    json b = {{"name", def.name},
              {"subscription_instance_id", new_uuid()},
              {"owner_subscription_id", owner},
              {"label", nullptr}};
    for (const field_def& f : def.fields) {
        b[f.name] = f.is_block ? empty_block(m, *m.block(f.type), owner, path) : json(nullptr);
    }
    path.erase(def.name);
    return b;
}

}  // namespace

void catalog_index::index(std::vector<product_row> products,
                          const std::map<std::string, std::string>& blocks,
                          const std::map<std::string, std::string>& resources) {
    for (product_row& row : products) {
        product_by_id.emplace(row.product_id, model.product(row.name));
        std::string id = row.product_id;
        product_rows.emplace(std::move(id), std::move(row));
    }
    for (const block_def& b : model.blocks) {
        const std::string& id = blocks.at(b.name);
        block_ids.emplace(b.name, id);
        block_by_id.emplace(id, &b);
    }
    for (const auto& [name, id] : resources) {
        resource_ids.emplace(name, id);
        resource_names.emplace(id, name);
    }
}

const product_def& catalog_index::product_of(const std::string& product_id,
                                             const std::string& what) const {
    auto it = product_by_id.find(product_id);
    if (it == product_by_id.end() || it->second == nullptr) throw store_error(what);
    return *it->second;
}

void validate_catalog_model(const catalog_model& model) {
    std::set<std::string> names;
    for (const block_def& b : model.blocks) {
        if (!names.insert(b.name).second) {
            throw store_error(fmt::format("product block '{}' is defined twice", b.name));
        }
        std::set<std::string> fields;
        for (const field_def& f : b.fields) {
            if (one_of(block_meta_keys, f.name)) {
                throw store_error(
                    fmt::format("product block '{}': field name '{}' is reserved", b.name, f.name));
            }
            if (!fields.insert(f.name).second) {
                throw store_error(
                    fmt::format("product block '{}': field '{}' is defined twice", b.name, f.name));
            }
            if (f.is_block && model.block(f.type) == nullptr) {
                throw store_error(
                    fmt::format("product block '{}': field '{}' refers to unknown "
                                "block '{}'",
                                b.name, f.name, f.type));
            }
        }
    }
    names.clear();
    for (const product_def& p : model.products) {
        if (!names.insert(p.name).second) {
            throw store_error(fmt::format("product '{}' is defined twice", p.name));
        }
        if (model.block(p.root_block) == nullptr) {
            throw store_error(
                fmt::format("product '{}': unknown root block '{}'", p.name, p.root_block));
        }
        if (p.root_field.empty() || one_of(subscription_keys, p.root_field)) {
            throw store_error(
                fmt::format("product '{}': invalid root field '{}'", p.name, p.root_field));
        }
        for (const auto& [name, value] : p.fixed) {
            if (one_of(subscription_keys, name) || name == p.root_field) {
                throw store_error(
                    fmt::format("product '{}': fixed input name '{}' is reserved", p.name, name));
            }
        }
    }
    names.clear();
    for (const workflow_def& w : model.workflows) {
        if (!names.insert(w.name).second) {
            throw store_error(fmt::format("workflow '{}' is defined twice", w.name));
        }
    }
}

json product_model_json(const product_row& p) {
    return {{"product_id", p.product_id},     {"name", p.name}, {"description", p.description},
            {"product_type", p.product_type}, {"tag", p.tag},   {"status", p.status}};
}

std::string resource_value_text(const block_def& block, const field_def& field, const json& v) {
    auto wrong = [&](const char* expected) {
        return store_error(
            fmt::format("{}.{}: expected {}, got {}", block.name, field.name, expected, v.dump()));
    };
    if (field.type == "int") {
        if (v.is_number_integer()) return v.dump();  // signed or unsigned, in decimal
        throw wrong("an integer");
    }
    if (field.type == "bool") {
        if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
        throw wrong("a boolean");
    }
    if (field.type == "float") {
        if (v.is_number()) return v.dump();
        throw wrong("a number");
    }
    if (v.is_string()) return v.get<std::string>();
    throw wrong("a string");
}

json typed_resource_value(const field_def& field, std::string_view text) {
    if (field.type == "int") {
        std::int64_t i = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), i);
        if (ec == std::errc() && end == text.data() + text.size()) return i;
        std::uint64_t u = 0;
        auto [uend, uec] = std::from_chars(text.data(), text.data() + text.size(), u);
        if (uec == std::errc() && uend == text.data() + text.size()) return u;
    } else if (field.type == "bool") {
        if (text == "true" || text == "True" || text == "1") return true;
        if (text == "false" || text == "False" || text == "0") return false;
    } else if (field.type == "float") {
        try {
            return json::parse(text);
        } catch (const json::exception&) {}
    }
    return std::string(text);
}

json build_subscription_model(const catalog_index& c, const subscription_row& row,
                              const stored_blocks& blocks) {
    const product_def& pd =
        c.product_of(row.product.product_id,
                     fmt::format("subscription '{}' has product '{}', which is not in the catalog",
                                 row.subscription_id, row.product.name));

    // The root: this subscription's instance of the root block that none of its other
    // instances depends on.
    std::string root_id;
    auto root_block = c.block_ids.find(pd.root_block);
    for (const auto& [id, in] : blocks.instances) {
        if (in.subscription_id != row.subscription_id || blocks.owned_children.contains(id))
            continue;
        if (root_block == c.block_ids.end() || in.block_id != root_block->second) continue;
        if (root_id.empty() || id < root_id) root_id = id;  // deterministic if data is odd
    }

    json out = {{"subscription_id", row.subscription_id},
                {"description", row.description},
                {"status", row.status},
                {"insync", row.insync},
                {"customer_id", row.customer_id},
                {"start_date", optional_json(row.start_date)},
                {"end_date", optional_json(row.end_date)},
                {"note", optional_json(row.note)},
                {"version", row.version},
                {"product", product_model_json(row.product)}};
    for (const auto& [name, value] : pd.fixed) out[name] = value;
    model_builder builder(c, blocks);
    out[pd.root_field] = root_id.empty() ? json(nullptr) : builder.build(root_id);
    return out;
}

json new_subscription_model(const catalog_index& c, const std::string& product_id,
                            const std::string& customer_id) {
    const product_def& pd =
        c.product_of(product_id, fmt::format("unknown product '{}'", product_id));
    const product_row& row = c.product_rows.at(product_id);
    std::string sid = new_uuid();
    json m = {{"subscription_id", sid},
              {"description", "Initial subscription of " + row.description},
              {"status", "initial"},
              {"insync", false},
              {"customer_id", customer_id},
              {"start_date", nullptr},
              {"end_date", nullptr},
              {"note", nullptr},
              {"version", 1},
              {"product", product_model_json(row)}};
    for (const auto& [name, value] : pd.fixed) m[name] = value;
    std::set<std::string> path;
    m[pd.root_field] = empty_block(c.model, *c.model.block(pd.root_block), sid, path);
    return m;
}

std::string model_subscription_id(const json& model) {
    if (!model.is_object()) throw store_error("a subscription model must be a JSON object");
    return string_member(model, "subscription_id", "subscription");
}

subscription_save plan_save(const catalog_index& c, const json& model,
                            const std::optional<std::string>& stored_product) {
    subscription_save out;
    out.subscription_id = model_subscription_id(model);
    const std::string& sid = out.subscription_id;
    if (const json* p = member(model, "product"); p != nullptr && member(*p, "product_id")) {
        out.product_id = string_member(*p, "product_id", "subscription product");
    } else if (stored_product) {
        out.product_id = *stored_product;
    } else {
        throw store_error(fmt::format("subscription '{}' has no product", sid));
    }
    const product_def& pd =
        c.product_of(out.product_id, fmt::format("unknown product '{}'", out.product_id));

    out.description = string_member(model, "description", "subscription");
    out.status = string_member(model, "status", "subscription");
    if (!is_lifecycle(out.status)) {
        throw store_error(fmt::format("subscription '{}': unknown status '{}'", sid, out.status));
    }
    const json* insync = member(model, "insync");
    if (insync == nullptr || !insync->is_boolean()) {
        throw store_error("subscription: 'insync' must be a boolean");
    }
    out.insync = insync->get<bool>();
    out.customer_id = string_member(model, "customer_id", "subscription");
    out.start_date = optional_string_member(model, "start_date", "subscription");
    out.end_date = optional_string_member(model, "end_date", "subscription");
    out.note = optional_string_member(model, "note", "subscription");

    const json* root = member(model, pd.root_field.c_str());
    if (root == nullptr) {
        throw store_error(fmt::format("subscription '{}' has no '{}'", sid, pd.root_field));
    }
    save_planner(c, sid, out.blocks).walk(*root, *c.model.block(pd.root_block), {}, {});
    return out;
}

std::optional<stored_subscription_rows> rows_of_loaded(const catalog_index& c, const json& loaded) {
    try {
        const std::string sid = model_subscription_id(loaded);
        const json* product = member(loaded, "product");
        if (product == nullptr) return std::nullopt;
        const product_def& pd = c.product_of(
            string_member(*product, "product_id", "subscription product"), "unknown product");
        block_plan stored;
        if (const json* r = member(loaded, pd.root_field.c_str())) {
            save_planner(c, sid, stored).walk(*r, *c.model.block(pd.root_block), {}, {});
        }
        stored_subscription_rows out;
        for (auto& in : stored.instances)
            out.owned.emplace(in.id, std::pair{in.block_id, in.label});
        for (auto& v : stored.values) {
            if (v.text) out.values.emplace(std::pair{v.instance_id, v.resource_type_id}, *v.text);
        }
        out.relations = std::move(stored.relations);
        return out;
    } catch (const store_error&) {
        return std::nullopt;
    }
}

subscription_writes diff_subscription(const block_plan& plan,
                                      const stored_subscription_rows& stored) {
    subscription_writes w;
    for (const auto& in : plan.instances) {
        auto it = stored.owned.find(in.id);
        if (it == stored.owned.end()) {
            w.insert_instances.push_back(in);
        } else if (it->second.first != in.block_id || it->second.second != in.label) {
            w.update_instances.push_back(in);
        }
    }
    for (const auto& v : plan.values) {
        auto it = stored.values.find({v.instance_id, v.resource_type_id});
        if (!v.text) {
            if (it != stored.values.end()) w.delete_values.push_back(v);
        } else if (it == stored.values.end()) {
            w.insert_values.push_back(v);
        } else if (it->second != *v.text) {
            w.update_values.push_back(v);
        }
    }
    w.linked = plan.linked;
    for (const instance_relation& r : stored.relations) {
        if (!plan.relations.contains(r)) w.delete_relations.push_back(r);
    }
    for (const instance_relation& r : plan.relations) {
        if (!stored.relations.contains(r)) w.insert_relations.push_back(r);
    }
    for (const auto& [id, row] : stored.owned) {
        if (!plan.kept.contains(id)) w.remove_instances.push_back(id);
    }
    return w;
}

}  // namespace wfrun
