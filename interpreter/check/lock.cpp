// The rules about the subscription's lock and lifecycle, checked by following each workflow's
// chain in order:
//
//   W101  `unsync` (or `create_subscription`) without a later `resync`: the subscription stays
//         out of sync when the process completes;
//   W102  `resync` without an earlier `unsync`;
//   W103  a step that changes the subscription outside an `unsync` ... `resync` region;
//   W107  `set_status(L)` on a subscription this workflow created, when L requires fields
//         (`required provisioning`, block references) and no step between `create_subscription`
//         and it changes the subscription; the lifecycle change would fail at run time.
#include <string_view>

#include <fmt/format.h>

#include "interpreter/check/passes.hpp"

namespace wfrun::check_detail {

namespace {

// The first field an empty root block lacks for lifecycle `rank`, as a dotted path.
std::string first_required(const block_def& block, int rank, const std::string& path) {
    for (const auto& f : block.fields) {
        std::string here = path + "." + f.name;
        if (f.is_block) return here;  // a block reference is required in every lifecycle
        if (!f.required_from.empty() && lifecycle_rank(f.required_from) <= rank) return here;
    }
    return {};
}

}  // namespace

void check_lock_regions(context& ctx) {
    for (auto& w : ctx.workflows) {
        if (!w.walkable()) continue;
        const ast::element* open = nullptr;  // the step that took the lock
        for (const auto& ev : ctx.events(w)) {
            if (ev.k != chain_event::kind::step) continue;
            const std::string_view step = ev.entry->manifest.name;
            if (is_lock_step(step)) {
                if (!open) open = ev.element;
            } else if (step == "resync") {
                if (!open)
                    ctx.report(
                        ev.element->pos, severity::warning, "W102",
                        "'resync' without an earlier 'unsync': nothing took the subscription's "
                        "lock");
                open = nullptr;
            } else if (!open && writes_subscription(*ev.entry)) {
                ctx.report(
                    ev.element->pos, severity::warning, "W103",
                    fmt::format("step '{}' changes the subscription outside 'unsync' ... 'resync'",
                                step));
            }
        }
        if (open)
            ctx.report(
                open->pos, severity::warning, "W101",
                fmt::format("'{}' without a later 'resync': the subscription stays out of sync "
                            "in workflow '{}'",
                            open->name, *w.name));
    }
}

void check_required_fields(context& ctx) {
    const auto& model = ctx.c.model;
    for (auto& w : ctx.workflows) {
        if (!w.walkable()) continue;
        const auto* def = w.def;
        bool fresh = false;  // the subscription was created here and no step has filled it in
        for (const auto& ev : ctx.events(w)) {
            if (ev.k != chain_event::kind::step) continue;
            const auto& m = ev.entry->manifest;
            const std::string_view step = m.name;
            if (step == "create_subscription") {
                fresh = true;
            } else if (step == "set_status") {
                if (!fresh) continue;
                auto args = bind_args(m, *ev.element, nullptr);
                if (!args) continue;
                auto lifecycle = args->value("lifecycle", "");
                int rank = lifecycle_rank(lifecycle);
                if (rank < 0) continue;
                for (const auto& p : model.products) {
                    if (p.type != def->product_type) continue;
                    const auto* block = model.block(p.root_block);
                    if (!block) continue;
                    auto missing = first_required(*block, rank, p.root_field);
                    if (missing.empty()) continue;
                    ctx.report(ev.element->pos, severity::warning, "W107",
                               fmt::format("set_status({}) requires '{}' of product \"{}\", but no "
                                           "step after 'create_subscription' sets any field",
                                           lifecycle, missing, p.name));
                    break;
                }
            } else if (step != "resync" && !is_lock_step(step) && writes_subscription(*ev.entry)) {
                fresh = false;
            }
        }
    }
}

}  // namespace wfrun::check_detail
