// The mailbox project's own steps, registered through wfrun's public API.
#pragma once

#include <wfrun/step.hpp>

namespace mailbox {

// Adds the step provision_mailbox and the table of the imaginary mail system it writes to.
void register_steps(wfrun::registry& r);

}  // namespace mailbox
