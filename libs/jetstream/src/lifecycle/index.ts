/* Job lifecycle: status lookup, batches with completion callbacks, prerequisites. */
export {};
