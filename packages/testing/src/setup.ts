/**
 * AVA `require` hook of every package's tests: puts tfjs on the backend that
 * $FLATFIT_TEST_BACKEND names (`npm test` runs the suite on "cpu", then on "cpu-unfused").
 */
import { useTestBackend } from "./backends";

export = useTestBackend;
