// The JSON shapes of orchestrator-core's REST API for the objects wfrun keeps: a process (the
// body of GET /api/processes/{id}, or a row of the list), a subscription row, a product, and
// the recursive state diff each step row carries. Timestamps stay ISO-8601 strings, as wfrun
// has always printed them.
#pragma once

#include <vector>

#include "interpreter/engine/engine.hpp"
#include "interpreter/store/store.hpp"

namespace wfrun::service {

// A process: with `with_steps`, its steps (logged rows with state and state_delta, then the
// pending ones), the form a suspended process waits for, its current state and subscriptions.
json process_json(engine& eng, const process_row& p, bool with_steps);
json subscription_row_json(const subscription_row& s);
json product_json(const product_row& p);
// {subscription_id, description, status, insync}: a subscription named by another one.
json related_json(const std::vector<subscription_row>& rows);

// The keys of `now` whose values differ from `before`, recursing into objects.
json state_delta(const json& before, const json& now);

}  // namespace wfrun::service
