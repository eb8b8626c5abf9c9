// `wfrun graph`: a workflow's chain drawn as a graph for Graphviz (`dot`) or Mermaid. Steps are
// boxes in chain order; an `if` is a diamond with a `yes` branch through its body and a `no`
// branch around it; input steps are parallelograms; retry steps (a retry manifest or a
// `retry(...)` option) are dashed and say so; step groups and named chains are clusters.
#pragma once

#include <optional>
#include <string>

#include "interpreter/catalog/catalog.hpp"

namespace wfrun {

enum class graph_format { dot, mermaid };

// "dot" or "mermaid"; nullopt for anything else.
std::optional<graph_format> parse_graph_format(const std::string& name);

// The graph of `workflow`, which must be in the catalog.
std::string render_graph(const catalog& c, const registry& reg, const std::string& workflow,
                         graph_format format);

}  // namespace wfrun
