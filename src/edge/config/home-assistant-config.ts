/** The `homeAssistant` section: MQTT discovery of each camera's alert and counts as Home Assistant entities. */
import { z } from 'zod';

export const homeAssistantConfigSchema = z
  .object({
    discovery: z
      .boolean()
      .default(true)
      .describe(
        'announce each camera to Home Assistant by MQTT discovery (retained config messages); false removes what this device announced before',
      ),
    discoveryPrefix: z
      .string()
      .regex(/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/, 'topic levels of letters, digits, _ and - only')
      .default('homeassistant')
      .describe("Home Assistant's discovery prefix (its MQTT integration setting; default homeassistant)"),
  })
  .strict();

export type HomeAssistantConfig = z.infer<typeof homeAssistantConfigSchema>;
