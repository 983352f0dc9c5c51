#pragma once

// Every learning-rate scheduler (lr_scheduler.h describes what they share).
#include "optim/cosine_annealing_lr.h"
#include "optim/linear_lr.h"
#include "optim/lr_scheduler.h"
#include "optim/multi_step_lr.h"
#include "optim/reduce_lr_on_plateau.h"
#include "optim/sequential_lr.h"
#include "optim/step_lr.h"
