// Desired catalog links and their difference from the stored ones (catalog_diff.hpp).
#include "interpreter/store/catalog_diff.hpp"

#include <fmt/format.h>

#include "interpreter/util/util.hpp"

namespace wfrun {

catalog_links desired_links(const catalog_model& model, const catalog_ids& ids) {
    catalog_links out;
    for (const product_def& p : model.products) {
        out.product_blocks.emplace(ids.products.at(p.name), ids.blocks.at(p.root_block));
        for (const workflow_def& w : model.workflows) {
            if (!w.product_type.empty() && w.product_type == p.type) {
                out.product_workflows.emplace(ids.products.at(p.name), ids.workflows.at(w.name));
            }
        }
    }
    for (const block_def& b : model.blocks) {
        for (const field_def& f : b.fields) {
            if (f.is_block) {
                out.block_relations.emplace(ids.blocks.at(b.name), ids.blocks.at(f.type));
            } else {
                out.block_resources.emplace(ids.blocks.at(b.name), ids.resources.at(f.name));
            }
        }
    }
    return out;
}

std::string catalog_fingerprint(const catalog_model& model) {
    // Every value length-prefixed, so that no two models serialise alike.
    std::string text = "wfrun-catalog-1";
    auto add = [&](std::string_view v) { text += fmt::format("|{}:{}", v.size(), v); };
    for (const block_def& b : model.blocks) {
        add("block");
        add(b.name);
        add(b.description);
        add(b.tag);
        for (const field_def& f : b.fields) {
            add(f.is_block ? "block-field" : "field");
            add(f.name);
            add(f.type);
            add(f.required_from);
            add(f.description);
        }
    }
    for (const product_def& p : model.products) {
        add("product");
        add(p.name);
        add(p.type);
        add(p.tag);
        add(p.description);
        add(p.status);
        add(p.root_field);
        add(p.root_block);
        for (const auto& [name, value] : p.fixed) {
            add(name);
            add(value);
        }
    }
    for (const workflow_def& w : model.workflows) {
        add("workflow");
        add(w.name);
        add(to_string(w.target));
        add(w.description);
        add(w.product_type);
        add(w.is_task ? "task" : "workflow");
    }
    // Two seeds make 128 bits: a collision would leave a changed catalog unsynced.
    return fmt::format("{:016x}{:016x}", fnv1a(text), fnv1a(text, 0x9e3779b97f4a7c15ull));
}

link_diff diff_links(const std::set<id_link>& stored, const std::set<id_link>& desired) {
    link_diff d;
    for (const id_link& l : stored) {
        if (!desired.contains(l)) d.removed.push_back(l);
    }
    for (const id_link& l : desired) {
        if (!stored.contains(l)) d.added.push_back(l);
    }
    return d;
}

std::vector<std::pair<std::string, std::string>> resource_descriptions(const catalog_model& model) {
    std::vector<std::pair<std::string, std::string>> out;
    std::set<std::string> seen;
    for (const block_def& b : model.blocks) {
        for (const field_def& f : b.fields) {
            if (!f.is_block && seen.insert(f.name).second) out.emplace_back(f.name, f.description);
        }
    }
    return out;
}

}  // namespace wfrun
