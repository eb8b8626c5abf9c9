// The User steps of the tutorial (create_user, modify_user, terminate_user), and the imaginary
// user provisioning system they talk to, which keeps its users in `provisioned_users`.
#include "tutorial_steps.hpp"

namespace tutorial {

void register_user_steps(wfrun::registry&) {}

}  // namespace tutorial
