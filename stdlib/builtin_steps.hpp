// The builtin steps every catalog can use, with orchestrator-core's names and display names:
// init, done, abort, store_process_subscription, unsync, unsync_unchecked, resync, set_status,
// create_subscription.
#pragma once

#include <wfrun/step.hpp>

namespace wfrun {

void register_stdlib(registry& r);

}  // namespace wfrun
