import { CodePointLength, MaxCodePoints } from '@consentry/validation';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsDefined,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';

// A subscription names each event type at most once; there are three.
const MAX_EVENT_TYPES = 16;
/** The most jti values one polling call may acknowledge (positively or not). */
export const MAX_ACKNOWLEDGED = 1_000;

/** OBEventSubscription1.Data */
export class EventSubscriptionDataDto {
  @ApiPropertyOptional({ format: 'uri', description: 'https; the bank POSTs to {CallbackUrl}/event-notifications' })
  @IsOptional()
  @IsString()
  @CodePointLength(1, 2_048)
  CallbackUrl?: string;

  @ApiProperty({ minLength: 1, maxLength: 10, example: '4.0' })
  @IsDefined()
  @IsString()
  @CodePointLength(1, 10)
  Version!: string;

  @ApiPropertyOptional({ type: [String], description: 'Event types wanted; all when absent' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_EVENT_TYPES)
  @IsString({ each: true })
  @MaxCodePoints(128, { each: true })
  EventTypes?: string[];
}

/** OBEventSubscription1: the body of POST /event-subscriptions. */
export class OBEventSubscription1Dto {
  @ApiProperty({ type: () => EventSubscriptionDataDto })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => EventSubscriptionDataDto)
  Data!: EventSubscriptionDataDto;
}

/** OBEventSubscriptionResponse1.Data as a PUT sends it back, changed. */
export class ChangedEventSubscriptionDataDto extends EventSubscriptionDataDto {
  @ApiProperty({ minLength: 1, maxLength: 40 })
  @IsDefined()
  @IsString()
  @CodePointLength(1, 40)
  EventSubscriptionId!: string;
}

/** OBEventSubscriptionResponse1: the body of PUT /event-subscriptions/{EventSubscriptionId} (Links and Meta are ours: ignored). */
export class OBEventSubscriptionChange1Dto {
  @ApiProperty({ type: () => ChangedEventSubscriptionDataDto })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => ChangedEventSubscriptionDataDto)
  Data!: ChangedEventSubscriptionDataDto;

  @ApiPropertyOptional()
  @IsOptional()
  @IsObject()
  Links?: Record<string, unknown>;

  @ApiPropertyOptional()
  @IsOptional()
  @IsObject()
  Meta?: Record<string, unknown>;
}

/** OBEventPolling1: the body of POST /events. */
export class OBEventPolling1Dto {
  @ApiPropertyOptional({ minimum: 0, description: 'Capped at EVENT_POLL_MAX_EVENTS (100 by default); 0 returns no event' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  maxEvents?: number;

  @ApiPropertyOptional({ description: 'false: wait up to 30 s for an event when none is pending' })
  @IsOptional()
  @IsBoolean()
  returnImmediately?: boolean;

  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_ACKNOWLEDGED)
  @IsString({ each: true })
  @CodePointLength(1, 128, { each: true })
  ack?: string[];

  @ApiPropertyOptional({ description: '{ jti: { err, description } }: events the TPP could not process' })
  @IsOptional()
  @IsObject()
  setErrs?: Record<string, unknown>;
}
