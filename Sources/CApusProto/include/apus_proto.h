/* Umbrella header for the generated Apus wire schema (scripts/gen-proto.sh). */
#include "apus/v1/frame.pb-c.h"
#include "apus/v1/health.pb-c.h"
#include "apus/v1/engine.pb-c.h"
#include "apus/v1/runner.pb-c.h"
#include "apus/v1/router.pb-c.h"
