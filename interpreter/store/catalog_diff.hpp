// The backend-neutral half of the catalog sync: which link rows the model wants (products to
// their root blocks and workflows, blocks to the blocks and resource types they use) and what
// differs from the stored ones. A backend reads the ids its rows have, asks these functions,
// and writes the difference, so that syncing an unchanged model writes nothing.
#pragma once

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "interpreter/domain/model.hpp"

namespace wfrun {

// A row of a link table: (left id, right id).
using id_link = std::pair<std::string, std::string>;

// The four link tables of the catalog.
struct catalog_links {
    std::set<id_link> product_blocks;     // product_product_blocks: product -> root block
    std::set<id_link> block_relations;    // product_block_relations: in_use_by -> depends_on
    std::set<id_link> block_resources;    // product_block_resource_types: block -> type
    std::set<id_link> product_workflows;  // products_workflows: product -> workflow
};

// The ids the stored rows have, by name.
struct catalog_ids {
    std::map<std::string, std::string> products;
    std::map<std::string, std::string> blocks;
    std::map<std::string, std::string> resources;  // resource type name -> id
    std::map<std::string, std::string> workflows;
};

// The link rows `model` wants, given the ids of its rows (every name of the model has one).
catalog_links desired_links(const catalog_model& model, const catalog_ids& ids);

struct link_diff {
    std::vector<id_link> removed;
    std::vector<id_link> added;
};
link_diff diff_links(const std::set<id_link>& stored, const std::set<id_link>& desired);

// A fingerprint of everything a sync writes from `model` (products, blocks and their fields,
// fixed inputs, workflows): equal models, equal fingerprints; any difference a sync would write,
// another one. A backend stores it with the rows it synced, so that opening with an unchanged
// catalog is one read and no write. Stable across runs and platforms.
std::string catalog_fingerprint(const catalog_model& model);

// The resource types the model declares (name, description), in declaration order, each once and
// described by its first declaration.
std::vector<std::pair<std::string, std::string>> resource_descriptions(const catalog_model& model);

}  // namespace wfrun
