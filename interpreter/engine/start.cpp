// The start protocol (orchestrator-core's post_form with its create and modify wrappers): the
// submitted pages are validated in order against the workflow's implicit first page and its
// declared form pages. Fewer pages than the form has gives the next page's schema; a page that
// fails gives each field's error; a subscription the workflow may not start on gives the
// orchestrator's refusal. Nothing is written. (Resume input is validated by engine::resume
// against the input step's form, built the same way.)
#include <fmt/format.h>

#include "interpreter/domain/domain.hpp"
#include "interpreter/engine/engine.hpp"

namespace wfrun {

namespace {

void merge_into(json& target, const json& values) {
    for (const auto& [k, v] : values.items()) target[k] = v;
}

}  // namespace

form_outcome engine::post_form(const workflow_plan& plan, const json& pages) {
    form_outcome out;
    if (!pages.is_array()) {
        out.k = form_outcome::kind::invalid;
        out.errors.push_back({"__root__", "Input should be a list of form pages", "list_type"});
        return out;
    }
    const auto& def = plan.def;
    // What the form's pages can refer to: the initial keys, then every page's values.
    json context = {{"reporter", options_.reporter},
                    {"workflow_name", def.name},
                    {"workflow_target", to_string(def.target)}};
    json& result = out.state;
    std::size_t index = 0;

    // Validates the next submitted page; false (with `out` filled) when the protocol stops here.
    auto submit = [&](const form_page& page, json& values) {
        if (index >= pages.size()) {
            out.k = form_outcome::kind::not_complete;
            out.form = page_schema(page);
            out.meta = page_meta(page);
            out.page = page;
            return false;
        }
        auto r = validate_page(page, pages[index++]);
        if (!r.ok()) {
            out.k = form_outcome::kind::invalid;
            out.errors = std::move(r.errors);
            return false;
        }
        values = std::move(r.output);
        return true;
    };

    bool is_last_implicit = plan.forms.empty();
    if (def.target == workflow_target::create) {
        std::vector<choice_option> products;
        for (const auto& p : store_.products())
            if (p.product_type == def.product_type) products.push_back({p.product_id, p.name});
        auto page = product_page(products);
        page.has_next = !is_last_implicit;
        json values;
        if (!submit(page, values)) return out;
        const auto& id = values.at("product").get_ref<const std::string&>();
        auto product = store_.product(id);
        if (!product || product->product_type != def.product_type) {
            out.k = form_outcome::kind::invalid;
            out.errors.push_back(
                {"product", "This workflow is not valid for this product", "value_error"});
            return out;
        }
        values["product_name"] = product->name;
        merge_into(result, values);
    } else if (takes_subscription(def.target)) {
        auto page = subscription_page();
        page.has_next = !is_last_implicit;
        json values;
        if (!submit(page, values)) return out;
        auto id = values.at("subscription_id").get<std::string>();
        auto reason = admission_refusal(store_, def, id);
        if (reason) {
            out.k = form_outcome::kind::refused;
            out.message = "This workflow cannot be started: " + *reason;
            return out;
        }
        auto subscription = store_.load_subscription(id);
        result["subscription_id"] = id;
        result["product"] = subscription->at("product").at("product_id");
        result["customer_id"] = subscription->at("customer_id");
        if (values.contains("version") && !values["version"].is_null())
            result["version"] = values["version"];
        context["subscription"] = std::move(*subscription);
    }
    merge_into(context, result);

    auto choices = this->choices();
    for (std::size_t i = 0; i < plan.forms.size(); ++i) {
        form_page page;
        try {
            page = build_page(*plan.forms[i], context, choices);
        } catch (const form_error& e) {
            out.k = form_outcome::kind::refused;
            out.message = e.what();
            return out;
        }
        page.has_next = i + 1 < plan.forms.size();
        json values;
        if (!submit(page, values)) return out;
        merge_into(result, values);
        merge_into(context, values);
    }
    // A workflow without any page still takes one empty page, as orchestrator-core's does.
    if (def.target == workflow_target::system && plan.forms.empty()) {
        form_page empty;
        empty.has_next = false;
        json values;
        if (!submit(empty, values)) return out;
    }
    if (index < pages.size()) {
        out.k = form_outcome::kind::invalid;
        out.errors.push_back({"__root__",
                              fmt::format("Form has {} page{}, {} were submitted", index,
                                          index == 1 ? "" : "s", pages.size()),
                              "form_overflow"});
        return out;
    }
    out.k = form_outcome::kind::complete;
    return out;
}

}  // namespace wfrun
