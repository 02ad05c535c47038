// unikit: everything an application needs.
#pragma once

#include <unikit/app.h>
#include <unikit/cancel.h>
#include <unikit/counters.h>
#include <unikit/error.h>
#include <unikit/format.h>
#include <unikit/log.h>
#include <unikit/loop.h>
#include <unikit/panic.h>
#include <unikit/sync.h>
#include <unikit/task.h>
#include <unikit/time.h>
#include <unikit/when.h>
