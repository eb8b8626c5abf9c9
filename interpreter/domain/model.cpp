// Lookups on the product model (model.hpp): lifecycle ranks and the catalog's blocks, products
// and workflows by name. Catalogs are small, so a linear scan is all they need.
#include "interpreter/domain/model.hpp"

#include <algorithm>

namespace wfrun {

namespace {

template <class T>
const T* find_by_name(const std::vector<T>& items, const std::string& name) {
    auto it =
        std::find_if(items.begin(), items.end(), [&](const T& item) { return item.name == name; });
    return it == items.end() ? nullptr : &*it;
}

}  // namespace

int lifecycle_rank(const std::string& lifecycle) {
    if (lifecycle == "initial") return 0;
    if (lifecycle == "provisioning") return 1;
    if (lifecycle == "active") return 2;
    return -1;
}

bool is_lifecycle(const std::string& s) {
    return std::any_of(std::begin(all_lifecycles), std::end(all_lifecycles),
                       [&](const char* l) { return s == l; });
}

const block_def* catalog_model::block(const std::string& name) const {
    return find_by_name(blocks, name);
}

const product_def* catalog_model::product(const std::string& name) const {
    return find_by_name(products, name);
}

const workflow_def* catalog_model::workflow(const std::string& name) const {
    return find_by_name(workflows, name);
}

}  // namespace wfrun
