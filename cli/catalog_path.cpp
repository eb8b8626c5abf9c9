// The default catalog: the current folder's workflows/, then the installed share folder. The
// share folder is found from the file this code was loaded from (libwfrun.so, or the program
// when linked statically), so a moved prefix or an unpacked .deb still finds its catalog.
#include "cli/catalog_path.hpp"

#include <dlfcn.h>

#include <filesystem>
#include <system_error>

namespace wfrun::cli {

namespace fs = std::filesystem;

namespace {

// Any object of this translation unit: dladdr names the file that holds it.
const char anchor = 0;

// The file libwfrun was loaded from; the running program when that is unknown.
fs::path loaded_from() {
    std::error_code ec;
    Dl_info info{};
    if (dladdr(&anchor, &info) != 0 && info.dli_fname &&
        fs::path(info.dli_fname).has_parent_path()) {
        auto p = fs::weakly_canonical(info.dli_fname, ec);
        if (!ec) return p;
    }
    auto self = fs::read_symlink("/proc/self/exe", ec);
    return ec ? fs::path() : self;
}

}  // namespace

std::string default_workflows() {
    std::error_code ec;
    if (fs::is_directory("workflows", ec)) return "workflows";
    auto from = loaded_from();
    if (from.empty()) return "workflows";
    // WFRUN_LIB_TO_WORKFLOWS: the installed catalog relative to the library folder, e.g.
    // ../share/wfrun/workflows (set by CMakeLists.txt from the install folders).
    return (from.parent_path() / WFRUN_LIB_TO_WORKFLOWS).lexically_normal().string();
}

}  // namespace wfrun::cli
