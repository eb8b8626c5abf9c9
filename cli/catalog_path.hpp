// Where the catalog is when neither `--workflows` nor WFRUN_WORKFLOWS says: never a folder
// fixed at build time, so that an installed or packaged wfrun works from any folder.
#pragma once

#include <string>

namespace wfrun::cli {

// `workflows` in the current folder when it exists; else the catalog installed with wfrun,
// found relative to the installed libwfrun (<prefix>/share/wfrun/workflows), whatever prefix
// it was installed or unpacked under.
std::string default_workflows();

}  // namespace wfrun::cli
