// A catalog: every `.wf` file under a folder, loaded together into one namespace, taken
// through the front half of the pipeline:
//
//   read files -> parse (grammar/) -> index names (catalog.cpp) -> resolve against the registry
//   (resolve.cpp) -> check (check.cpp) -> plan each workflow (plan.cpp)
//
// The result owns the syntax trees, the product model the store is brought in line with, and a
// plan per workflow that the engine runs. Every problem found on the way is a diagnostic.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <wfrun/step.hpp>

#include "grammar/ast.hpp"
#include "grammar/diagnostic.hpp"
#include "interpreter/domain/model.hpp"
#include "interpreter/plan/plan.hpp"

namespace wfrun {

struct catalog {
    std::vector<std::string> roots;  // the paths it was loaded from
    std::vector<std::unique_ptr<ast::file>> files;
    std::vector<diagnostic> diagnostics;  // sorted by file and line

    // Declarations by name (the first one when a name is declared twice).
    std::map<std::string, const ast::block_decl*> blocks;
    std::map<std::string, const ast::product_decl*> products;  // by display name
    std::map<std::string, const ast::form_decl*> forms;
    std::map<std::string, const ast::workflow_decl*> workflows;
    std::map<std::string, const ast::chain_decl*> chains;

    catalog_model model;
    std::map<std::string, workflow_plan> plans;

    bool ok() const { return !has_errors(diagnostics); }
    const workflow_plan* plan(const std::string& workflow) const;
    std::vector<std::string> product_types() const;
};

// Loads `paths` (files, or folders searched recursively for `*.wf`, in sorted order).
std::unique_ptr<catalog> load_catalog(const std::vector<std::string>& paths, const registry& reg);

// The passes, in order. Each adds diagnostics to the catalog.
void index_names(catalog& c);
void resolve(catalog& c, const registry& reg);
void check(catalog& c, const registry& reg);
void plan_workflows(catalog& c, const registry& reg);

// Enum arguments: `TERMINATE`, `Target.TERMINATE` -> "TERMINATE"; `TERMINATED`,
// `SubscriptionLifecycle.TERMINATED` -> "terminated". nullopt when not a value of the enum.
std::optional<std::string> target_value(const ast::value& v);
std::optional<std::string> lifecycle_value(const ast::value& v);

// The text of a single-valued property, or "" when it is missing.
std::string property_text(const std::vector<ast::property>& props, const std::string& key);

}  // namespace wfrun

namespace wfrun {

// The arguments of a step element bound to the manifest's parameters (positional in order,
// then named), converted to the parameter types. Problems are added to `diags` (E105) when it
// is given; nullopt when the arguments do not fit.
std::optional<json> bind_args(const step_manifest& m, const ast::element& e,
                              std::vector<diagnostic>* diags);

}  // namespace wfrun
