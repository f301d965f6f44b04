// The GatewayError a promise rejects with, for unit tests of what a module refuses; a promise that
// resolves, or rejects with anything else, fails the test.

import { expect } from "vitest";
import { GatewayError } from "../../src/errors.js";

export async function failureOf(promise: Promise<unknown>): Promise<GatewayError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(GatewayError);
    return error as GatewayError;
  }
  throw new Error("expected a GatewayError");
}
