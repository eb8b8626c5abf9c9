// Resolve: every name in the catalog is looked up — block and field types, product types,
// forms, steps (in the registry, for the workflow's product type) and named chains — and the
// product model and workflow list are derived from the declarations. Unknown names are errors
// with a "did you mean" from the names that exist.
#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "interpreter/catalog/catalog.hpp"
#include "interpreter/catalog/step_finder.hpp"
#include "interpreter/catalog/walk.hpp"
#include "interpreter/util/util.hpp"

namespace wfrun {

namespace {

const std::set<std::string> scalar_types = {"str", "int", "bool"};
const std::set<std::string> form_types = {"str",          "int",  "bool",  "choice",
                                          "subscription", "list", "Label", "Divider"};
const std::set<std::string> item_types = {"str", "int", "bool", "choice", "subscription"};

// The properties each declaration takes.
const std::set<std::string> block_properties = {"description", "tag"};
const std::set<std::string> product_properties = {"type", "tag", "description", "status"};
const std::set<std::string> form_properties = {"title"};
const std::set<std::string> workflow_properties = {"description", "target", "product_type", "form"};

struct resolver {
    catalog& c;
    const registry& reg;
    step_finders finders{reg};
    std::set<std::string> used_chains;
    std::set<std::pair<std::string, std::string>> resolved_chains;  // (chain, product type)

    void error(const ast::position& pos, const char* code, std::string message) {
        c.diagnostics.push_back({pos, severity::error, code, std::move(message)});
    }

    static std::string suggest(const std::string& name, const std::vector<std::string>& names) {
        auto best = closest_name(name, names);
        return best.empty() ? std::string() : fmt::format("; did you mean '{}'?", best);
    }

    template <typename Map>
    static std::vector<std::string> keys(const Map& m) {
        std::vector<std::string> out;
        for (const auto& [k, v] : m) out.push_back(k);
        return out;
    }

    // `owner` is a format for the declaration's name, `"workflow '{}'"`, used in messages only.
    void check_properties(const std::vector<ast::property>& props,
                          const std::set<std::string>& allowed, const char* owner,
                          const std::string& name) {
        for (const auto& p : props)
            if (!allowed.count(p.key))
                error(p.pos, "E108",
                      fmt::format("unknown property '{}' in {}{}", p.key,
                                  fmt::format(fmt::runtime(owner), name),
                                  suggest(p.key, {allowed.begin(), allowed.end()})));
    }

    field_def resolve_field(const ast::field_decl& f, const std::string& owner) {
        field_def out;
        out.name = f.name;
        if (f.description) out.description = f.description->text;
        if (scalar_types.count(f.type.name)) {
            out.type = f.type.name;
        } else if (c.blocks.count(f.type.name)) {
            out.is_block = true;
            out.type = f.type.name;
        } else {
            std::vector<std::string> names(scalar_types.begin(), scalar_types.end());
            for (const auto& [n, b] : c.blocks) names.push_back(n);
            error(f.type.pos, "E104",
                  fmt::format("unknown field type '{}' in {}{}", f.type.name, owner,
                              suggest(f.type.name, names)));
        }
        for (const auto& m : f.modifiers) {
            if (m.name != "required") {
                error(m.pos, "E108",
                      fmt::format("'{}' is a form modifier; {} fields take only "
                                  "'required LIFECYCLE'",
                                  m.name, owner));
                continue;
            }
            auto lc = m.arg ? m.arg->text : std::string();
            if (lifecycle_rank(lc) < 0) {
                error(
                    m.arg ? m.arg->pos : m.pos, "E109",
                    fmt::format("'required' takes initial, provisioning or active, not '{}'", lc));
                continue;
            }
            out.required_from = lc;
        }
        if (f.default_value)
            error(f.default_value->pos, "E108",
                  fmt::format("fields of {} have no defaults", owner));
        return out;
    }

    void resolve_blocks() {
        for (const auto& [name, b] : c.blocks) {
            check_properties(b->properties, block_properties, "block '{}'", name);
            block_def def;
            def.name = name;
            def.description = property_text(b->properties, "description");
            def.tag = property_text(b->properties, "tag");
            for (const auto& f : b->fields)
                def.fields.push_back(resolve_field(f, fmt::format("block '{}'", name)));
            c.model.blocks.push_back(std::move(def));
        }
    }

    void resolve_products() {
        for (const auto& [name, p] : c.products) {
            check_properties(p->properties, product_properties, "product \"{}\"", name);
            product_def def;
            def.name = name;
            def.type = property_text(p->properties, "type");
            def.tag = property_text(p->properties, "tag");
            def.description = property_text(p->properties, "description");
            if (auto s = property_text(p->properties, "status"); !s.empty()) def.status = s;
            if (def.type.empty())
                error(p->pos, "E108", fmt::format("product \"{}\" needs a 'type'", name));
            for (const auto& fx : p->fixed) def.fixed.emplace_back(fx.name, fx.val.text);
            if (p->fields.size() != 1) {
                error(p->pos, "E108",
                      fmt::format("product \"{}\" needs exactly one root block field, has {}", name,
                                  p->fields.size()));
            } else {
                auto f = resolve_field(p->fields[0], fmt::format("product \"{}\"", name));
                if (!f.type.empty() && !f.is_block)
                    error(p->fields[0].type.pos, "E104",
                          fmt::format("the root field of product \"{}\" must be a block", name));
                def.root_field = f.name;
                def.root_block = f.type;
            }
            c.model.products.push_back(std::move(def));
        }
    }

    void resolve_form(const ast::form_decl& f) {
        check_properties(f.properties, form_properties, "form '{}'", f.name);
        for (const auto& field : f.fields) resolve_form_type(field.type, f.name);
    }

    // `item`: the item type of a list, which is one value (not a list, a Label or a Divider).
    void resolve_form_type(const ast::type_ref& t, const std::string& form, bool item = false) {
        if (item && !item_types.count(t.name) && form_types.count(t.name)) {
            error(t.pos, "E104",
                  fmt::format("list items are one of str, int, bool, choice or "
                              "subscription, not {} (form '{}')",
                              t.name, form));
            return;
        }
        if (!form_types.count(t.name)) {
            error(t.pos, "E104",
                  fmt::format("unknown field type '{}' in form '{}'{}", t.name, form,
                              suggest(t.name, {form_types.begin(), form_types.end()})));
            return;
        }
        if (t.name == "list") {
            if (t.args.size() != 1)
                error(t.pos, "E104", "list takes one item type: list(T)");
            else
                resolve_form_type(t.args[0], form, true);
        } else if (t.name == "subscription") {
            if (t.args.empty()) {
                error(t.pos, "E104",
                      "subscription takes a product type: subscription(Type[, lifecycle...])");
                return;
            }
            check_product_type(t.args[0].name, t.args[0].pos);
            for (std::size_t i = 1; i < t.args.size(); ++i)
                if (!is_lifecycle(t.args[i].name))
                    error(t.args[i].pos, "E109",
                          fmt::format("'{}' is not a lifecycle", t.args[i].name));
        } else if (t.name == "choice" && t.choices.empty()) {
            error(t.pos, "E104", "choice needs at least one option: choice(\"a\", \"b\")");
        }
    }

    bool check_product_type(const std::string& type, const ast::position& pos) {
        auto types = c.product_types();
        if (std::find(types.begin(), types.end(), type) != types.end()) return true;
        error(pos, "E103", fmt::format("unknown product type '{}'{}", type, suggest(type, types)));
        return false;
    }

    void check_form_ref(const ast::value& v) {
        if (!c.forms.count(v.text))
            error(v.pos, "E102",
                  fmt::format("unknown form '{}'{}", v.text, suggest(v.text, keys(c.forms))));
    }

    // Resolves the names of a chain in the context of a product type (the finder's). Each named
    // chain is resolved once per product type, however often it is used.
    class chain_resolver : public chain_walker<chain_resolver> {
      public:
        chain_resolver(resolver& r, step_finder& steps) : chain_walker(r.c), r_(r), steps_(steps) {}

        void on_element(const ast::element& e) {
            for (const auto& o : e.options)
                if (o.name != "retry" && o.name != "timeout")
                    r_.error(
                        o.pos, "E108",
                        fmt::format("unknown option '{}'; options are retry and timeout", o.name));
            if (e.k == ast::element::kind::step && e.has_call && r_.c.chains.count(e.name))
                r_.error(e.pos, "E105", fmt::format("chain '{}' takes no arguments", e.name));
        }

        void on_input(const ast::element& e) {
            ast::value v;
            v.pos = e.pos;
            v.text = e.name;
            r_.check_form_ref(v);
        }

        void on_step(const ast::element& e) { r_.resolve_step(e, steps_); }

        bool enter_chain(const ast::element& use, const ast::chain_decl&) {
            r_.used_chains.insert(use.name);
            return r_.resolved_chains.insert({use.name, steps_.product_type()}).second;
        }

        void on_cycle(const ast::element& use) {
            r_.error(use.pos, "E110", fmt::format("chain '{}' uses itself", use.name));
        }

      private:
        resolver& r_;
        step_finder& steps_;
    };

    void resolve_step(const ast::element& e, step_finder& steps) {
        const auto& product_type = steps.product_type();
        const auto* entry = steps.find(e.name);
        if (!entry && product_type.empty()) {
            // A chain no workflow uses has no product type: any registration will do.
            for (const auto* candidate : reg.entries())
                if (candidate->manifest.name == e.name) entry = candidate;
        }
        if (!entry) {
            if (reg.contains(e.name)) {
                error(e.pos, "E101",
                      fmt::format("step '{}' is not registered for product type '{}'", e.name,
                                  product_type));
            } else {
                auto names = reg.names();
                for (const auto& [n, ch] : c.chains) names.push_back(n);
                error(e.pos, "E101",
                      fmt::format("unknown step '{}'{}", e.name, suggest(e.name, names)));
            }
            return;
        }
        // Only the problems matter here; without arguments the only one is a missing argument.
        const auto& params = entry->manifest.params;
        if (!e.args.empty() ||
            std::any_of(params.begin(), params.end(), [](const auto& p) { return p.required; }))
            bind_args(entry->manifest, e, &c.diagnostics);
    }

    void resolve_workflows() {
        for (const auto& [name, w] : c.workflows) {
            check_properties(w->properties, workflow_properties, "workflow '{}'", name);
            workflow_def def;
            def.name = name;
            def.description = property_text(w->properties, "description");
            if (def.description.empty())
                error(w->pos, "E108", fmt::format("workflow '{}' needs a 'description'", name));
            if (const auto* t = ast::find_property(w->properties, "target")) {
                auto v = t->values.empty() ? std::nullopt : target_value(t->values[0]);
                if (!v)
                    error(t->pos, "E108",
                          "target is one of CREATE, MODIFY, TERMINATE, VALIDATE, SYSTEM");
                else
                    def.target = *parse_workflow_target(*v);
            } else {
                error(w->pos, "E108", fmt::format("workflow '{}' needs a 'target'", name));
            }
            def.product_type = property_text(w->properties, "product_type");
            def.is_task = def.target == workflow_target::system;
            if (const auto* pt = ast::find_property(w->properties, "product_type"))
                check_product_type(def.product_type,
                                   pt->values.empty() ? pt->pos : pt->values[0].pos);
            else if (!def.is_task)
                error(w->pos, "E108", fmt::format("workflow '{}' needs a 'product_type'", name));
            if (const auto* f = ast::find_property(w->properties, "form"))
                for (const auto& v : f->values) check_form_ref(v);
            chain_resolver(*this, finders[def.product_type]).walk(w->steps);
            c.model.workflows.push_back(std::move(def));
        }
        // Named chains no workflow uses are still checked, for any product type.
        for (const auto& [name, ch] : c.chains) {
            if (used_chains.count(name)) continue;
            chain_resolver(*this, finders[""]).walk_named(*ch);
        }
    }
};

std::optional<std::string> enum_value(const ast::value& v, const std::string& qualifier) {
    if (v.k != ast::value::kind::name && v.k != ast::value::kind::path) return std::nullopt;
    std::string text = v.text;
    if (v.k == ast::value::kind::path) {
        auto dot = text.find('.');
        if (text.substr(0, dot) != qualifier || text.find('.', dot + 1) != std::string::npos)
            return std::nullopt;
        text = text.substr(dot + 1);
    }
    return text;
}

}  // namespace

std::optional<std::string> target_value(const ast::value& v) {
    auto t = enum_value(v, "Target");
    if (!t || !parse_workflow_target(*t)) return std::nullopt;
    return t;
}

std::optional<std::string> lifecycle_value(const ast::value& v) {
    auto t = enum_value(v, "SubscriptionLifecycle");
    if (!t) return std::nullopt;
    std::string lower;
    for (char ch : *t) lower += static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
    // The enum's members are upper case (TERMINATED); its values lower case (terminated).
    for (char ch : *t)
        if (ch >= 'a' && ch <= 'z') return std::nullopt;
    if (!is_lifecycle(lower)) return std::nullopt;
    return lower;
}

std::optional<json> bind_args(const step_manifest& m, const ast::element& e,
                              std::vector<diagnostic>* diags) {
    bool ok = true;
    auto fail = [&](const ast::position& pos, std::string message) {
        ok = false;
        if (diags) diags->push_back({pos, severity::error, "E105", std::move(message)});
    };
    json out = json::object();
    std::size_t positional = 0;
    for (const auto& a : e.args) {
        const param_spec* p = nullptr;
        if (a.key.empty()) {
            if (positional >= m.params.size()) {
                fail(a.pos, fmt::format("step '{}' takes {} argument{}, got more", m.name,
                                        m.params.size(), m.params.size() == 1 ? "" : "s"));
                continue;
            }
            p = &m.params[positional++];
        } else {
            for (const auto& q : m.params)
                if (q.name == a.key) p = &q;
            if (!p) {
                fail(a.pos, fmt::format("step '{}' has no parameter '{}'", m.name, a.key));
                continue;
            }
        }
        if (out.contains(p->name)) {
            fail(a.pos, fmt::format("parameter '{}' is given twice", p->name));
            continue;
        }
        out[p->name] = nullptr;  // given, even when its value does not fit
        const auto& v = a.val;
        using k = ast::value::kind;
        switch (p->type) {
            case value_type::target:
                if (auto t = target_value(v))
                    out[p->name] = *t;
                else
                    fail(v.pos, fmt::format("'{}' is not a Target (CREATE, MODIFY, TERMINATE, "
                                            "VALIDATE, SYSTEM)",
                                            v.source.empty() ? v.text : v.source));
                break;
            case value_type::lifecycle:
                if (auto l = lifecycle_value(v))
                    out[p->name] = *l;
                else
                    fail(v.pos,
                         fmt::format("'{}' is not a SubscriptionLifecycle (INITIAL, "
                                     "PROVISIONING, ACTIVE, MIGRATING, DISABLED, TERMINATED)",
                                     v.source.empty() ? v.text : v.source));
                break;
            case value_type::integer:
                if (v.k == k::integer)
                    out[p->name] = v.number;
                else
                    fail(v.pos, fmt::format("parameter '{}' takes an integer", p->name));
                break;
            case value_type::duration:
                if (v.k == k::duration)
                    out[p->name] = v.number;
                else
                    fail(v.pos, fmt::format("parameter '{}' takes a duration (500ms, 5s, 2m, 1h)",
                                            p->name));
                break;
            case value_type::boolean:
                if (v.k == k::boolean)
                    out[p->name] = v.number != 0;
                else
                    fail(v.pos, fmt::format("parameter '{}' takes true or false", p->name));
                break;
            case value_type::string:
                if (v.k == k::string || v.k == k::name)
                    out[p->name] = v.text;
                else
                    fail(v.pos, fmt::format("parameter '{}' takes a string", p->name));
                break;
            default:
                out[p->name] = v.k == k::integer ? json(v.number) : json(v.text);
        }
    }
    for (const auto& p : m.params)
        if (p.required && !out.contains(p.name))
            fail(e.pos, fmt::format("step '{}' needs argument '{}' ({})", m.name, p.name,
                                    to_string(p.type)));
    if (!ok) return std::nullopt;
    return out;
}

void resolve(catalog& c, const registry& reg) {
    resolver r{c, reg};
    r.resolve_blocks();
    r.resolve_products();
    for (const auto& [name, f] : c.forms) r.resolve_form(*f);
    r.resolve_workflows();
}

}  // namespace wfrun
