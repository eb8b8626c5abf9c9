// The few functions of the syntax tree: positions name their file, properties are found by key.
#include "grammar/ast.hpp"

#include <algorithm>

namespace wfrun::ast {

const std::string& position::file_name() const {
    static const std::string none;
    return file ? *file : none;
}

const property* find_property(const std::vector<property>& props, const std::string& key) {
    const auto it =
        std::find_if(props.begin(), props.end(), [&](const property& p) { return p.key == key; });
    return it == props.end() ? nullptr : &*it;
}

}  // namespace wfrun::ast
