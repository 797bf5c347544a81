/** Golden files live with the emulator's test helpers (the lowest layer that has code generators). */
export { accepting, checkGolden } from '../../emulator/testing/golden';
