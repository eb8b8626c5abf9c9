// The product model and the workflow list as the resolver derives them from the catalog's `.wf`
// files: plain data, no syntax tree, no positions. The store brings its product tables in line
// with it, the domain layer reads and writes subscriptions by it.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "interpreter/domain/status.hpp"

namespace wfrun {

// Lifecycles in requirement order; migrating, disabled and terminated add no requirement.
inline constexpr const char* all_lifecycles[] = {"initial",  "provisioning", "active",
                                             "migrating", "disabled",     "terminated"};
// 0 initial, 1 provisioning, 2 active; -1 for lifecycles that add no requirement or unknown.
int lifecycle_rank(const std::string& lifecycle);
bool is_lifecycle(const std::string& s);

struct field_def {
    std::string name;
    bool is_block = false;       // a reference to a block (of this or another subscription)
    std::string type;            // str, int, bool; or the block name when is_block
    std::string required_from;   // "", "initial", "provisioning" or "active"
    std::string description;
};

struct block_def {
    std::string name;  // UserGroupBlock
    std::string description;
    std::string tag;
    std::vector<field_def> fields;  // resources and block references, in declaration order
};

struct product_def {
    std::string name;  // "User Group"
    std::string type;  // UserGroup
    std::string tag;
    std::string description;
    std::string status = "active";
    std::vector<std::pair<std::string, std::string>> fixed;  // name, value
    std::string root_field;  // user_group
    std::string root_block;  // UserGroupBlock
};

struct workflow_def {
    std::string name;
    workflow_target target = workflow_target::create;
    std::string description;
    std::string product_type;  // empty for tasks
    bool is_task = false;
};

struct catalog_model {
    std::vector<block_def> blocks;
    std::vector<product_def> products;
    std::vector<workflow_def> workflows;

    const block_def* block(const std::string& name) const;
    const product_def* product(const std::string& name) const;
    const workflow_def* workflow(const std::string& name) const;
};

}  // namespace wfrun
