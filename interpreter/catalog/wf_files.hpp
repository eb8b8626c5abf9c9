// Finding `.wf` files: what the catalog loads from a folder, and what `wfrun fmt` formats.
#pragma once

#include <string>
#include <vector>

namespace wfrun {

// Every regular `*.wf` file below `folder`, searched recursively, in sorted order; empty when the
// folder cannot be read.
std::vector<std::string> wf_files_in(const std::string& folder);

}  // namespace wfrun
